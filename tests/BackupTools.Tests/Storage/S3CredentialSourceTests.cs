using System.Management.Automation;
using System.Net;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>
/// Where S3 credentials come from: -StorageCredential for one command only, else the AWS environment.
/// Sets AWS_* variables of this process, so it runs alone (no other test reads the SDK's default chain).
/// </summary>
[CollectionDefinition("aws-environment", DisableParallelization = true)]
public sealed class AwsEnvironmentCollection;

[Collection("aws-environment")]
public sealed class S3CredentialSourceTests : IDisposable
{
    private readonly PsSession _ps = new();
    private readonly S3TestBucket _bucket = new();
    private readonly Dictionary<string, object?> _vars;

    public S3CredentialSourceTests()
    {
        _vars = new Dictionary<string, object?>
        {
            ["repo"] = _bucket.Uri("creds"),
            ["cred"] = new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword),
        };
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $cred | Out-Null", _vars).AssertNoErrors();
    }

    [Fact]
    public void Without_any_credential_the_error_says_where_to_put_one_and_a_credential_does_not_carry_over()
    {
        Assert.Null(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"));
        _ps.Run("Get-Backup -Repository $repo -StorageCredential $cred", _vars).AssertNoErrors();
        // Same runspace, next command without -StorageCredential: nothing left over from the previous one.
        var error = _ps.Run("Get-Backup -Repository $repo", _vars).AssertError("S3CredentialsMissing");
        Assert.Contains("-StorageCredential", error.ErrorDetails?.RecommendedAction ?? (error.Exception as BackupTools.Core.Errors.BackupToolsException)?.RecommendedAction);
    }

    [Fact]
    public void The_standard_AWS_environment_variables_are_used()
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", TestServers.S3.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", TestServers.S3.SecretKey);
        try
        {
            _ps.Run("Get-Backup -Repository $repo", _vars).AssertNoErrors();
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", null);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", null);
        }
    }

    public void Dispose()
    {
        _ps.Dispose();
        _bucket.Dispose();
    }
}
