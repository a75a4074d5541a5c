using System.Management.Automation;
using System.Net;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>
/// Each command in one pipeline signs its S3 requests with its own -StorageCredential (issue 15): two repositories
/// behind two endpoints that log the access key of every request. Copy-Backup and Sync-BackupRepository take one
/// credential per side. No AWS_* variables are set, so a command without a credential cannot sign at all.
/// </summary>
[Collection("aws-environment")]
public sealed class PerCommandCredentialTests : IDisposable
{
    private const string KeyC = "ACCESSKEYFORC", KeyD = "ACCESSKEYFORD";
    private readonly PsSession _ps = new();
    private readonly TempDir _dir = new();
    private readonly S3TestBucket _bucketA = new(), _bucketB = new();
    private readonly KeyLoggingS3Proxy _serverA = new(TestServers.S3.Endpoint), _serverB = new(TestServers.S3.Endpoint);
    private readonly Dictionary<string, object?> _vars;

    public PerCommandCredentialTests()
    {
        Assert.Null(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"));
        var data = _dir.Sub("data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "a.txt"), "hello");
        _vars = new Dictionary<string, object?>
        {
            ["a"] = $"s3://{_bucketA.Name}/a?endpoint={Uri.EscapeDataString(_serverA.Endpoint)}",
            ["b"] = $"s3://{_bucketB.Name}/b?endpoint={Uri.EscapeDataString(_serverB.Endpoint)}",
            ["c"] = Credential(KeyC, "secret-of-c"),
            ["d"] = Credential(KeyD, "secret-of-d"),
            ["data"] = data,
        };
        _ps.Run("""
            Initialize-BackupRepository -Format v1 -Path $a -StorageCredential $c | Out-Null
            Initialize-BackupRepository -Format v1 -Path $b -StorageCredential $d | Out-Null
            Backup-Cell -Repository $a -StorageCredential $c -Name web -Path $data | Out-Null
            """, _vars).AssertNoErrors();
        _serverA.Clear();
        _serverB.Clear();
    }

    [Fact]
    public void A_credential_given_to_the_first_command_is_not_taken_away_by_the_next_one()
    {
        var result = _ps.Run("Get-Backup -Repository $a -StorageCredential $c | Test-BackupIntegrity", _vars);

        var keys = _serverA.Requests.Select(r => r.AccessKey).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.Equal(KeyC, key));
        // Test-BackupIntegrity was given no credential: it must say so, not borrow Get-Backup's.
        Assert.Equal("S3CredentialsMissing", Assert.Single(result.ErrorIds));
    }

    [Fact]
    public void Each_command_of_a_pipeline_signs_with_its_own_credential()
    {
        _ps.Run("Get-Backup -Repository $a -StorageCredential $c | Test-BackupIntegrity -StorageCredential $d", _vars).AssertNoErrors();

        var keys = _serverA.Requests.Select(r => r.AccessKey).ToList();
        // Get-Backup reads everything before it emits the one record; Test-BackupIntegrity runs after it.
        var firstD = keys.IndexOf(KeyD);
        Assert.True(firstD > 0, $"Get-Backup's requests must use C, then Test-BackupIntegrity's D: {string.Join(",", keys)}");
        Assert.All(keys.Take(firstD), key => Assert.Equal(KeyC, key));
        Assert.All(keys.Skip(firstD), key => Assert.Equal(KeyD, key));
    }

    [Fact]
    public void Copy_Backup_uses_one_credential_per_side()
    {
        _ps.Run("Get-Backup -Repository $a -StorageCredential $c | Copy-Backup -Target $b -StorageCredential $c -TargetStorageCredential $d | Out-Null", _vars).AssertNoErrors();

        AssertOnlyKey(_serverA, KeyC);
        AssertOnlyKey(_serverB, KeyD);
        _ps.Run("Get-Backup -Repository $b -StorageCredential $d", _vars).AssertNoErrors().Single<BackupRecord>();
    }

    [Fact]
    public void Sync_BackupRepository_uses_one_credential_per_side()
    {
        _ps.Run("Sync-BackupRepository -Source $a -Destination $b -StorageCredential $c -DestinationStorageCredential $d | Out-Null", _vars).AssertNoErrors();

        AssertOnlyKey(_serverA, KeyC);
        AssertOnlyKey(_serverB, KeyD);
    }

    [Fact]
    public void One_credential_still_serves_both_sides_when_no_second_one_is_given()
    {
        _ps.Run("Sync-BackupRepository -Source $a -Destination $b -StorageCredential $c | Out-Null", _vars).AssertNoErrors();

        AssertOnlyKey(_serverA, KeyC);
        AssertOnlyKey(_serverB, KeyC);
    }

    private static void AssertOnlyKey(KeyLoggingS3Proxy server, string key)
    {
        var keys = server.Requests.Select(r => r.AccessKey).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Equal(key, k));
    }

    private static PSCredential Credential(string id, string secret) => new(id, new NetworkCredential("", secret).SecurePassword);

    public void Dispose()
    {
        _ps.Dispose();
        _serverA.Dispose();
        _serverB.Dispose();
        _bucketA.Dispose();
        _bucketB.Dispose();
        _dir.Dispose();
    }
}
