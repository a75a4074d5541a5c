using System.Diagnostics;

namespace BackupTools.Tests.Redis;

[Collection("servers")]
public sealed class RedisTlsTests : RedisTestBase
{
    [Fact]
    public void Snapshot_over_tls_and_an_untrusted_certificate_is_a_clear_error()
    {
        InitRepoWithKey(createCell: false);
        var certs = Temp.Sub("certs");
        Directory.CreateDirectory(certs);
        using (var openssl = Process.Start(new ProcessStartInfo("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", Path.Combine(certs, "key.pem"), "-out", Path.Combine(certs, "cert.pem")]) { RedirectStandardError = true })!)
        {
            openssl.StandardError.ReadToEnd();
            openssl.WaitForExit();
            Assert.Equal(0, openssl.ExitCode);
        }
        var tlsPort = RedisInstance.FreePort();
        var source = NewInstance("source", "tls-Pass", $"tls-port {tlsPort}\ntls-cert-file {certs}/cert.pem\ntls-key-file {certs}/key.pem\ntls-ca-cert-file {certs}/cert.pem\ntls-auth-clients no");
        using (var connection = source.Connect()) RedisData.Seed(connection, [0], scale: 1);

        var record = Run("Backup-RedisRdb -Server localhost -Port $p -Tls -SkipCertificateCheck -Credential $c -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key",
            ("p", tlsPort), ("c", Password("tls-Pass"))).AssertNoErrors().Single<IntegrityResult>();
        Assert.True(record.Passed, string.Join("; ", record.Checks));
        Assert.Equal(36007L, (long)record.Record!.EngineInfo["keys"]!);
        Assert.StartsWith("rediss://", record.Record.Source);
        Assert.StartsWith("7.", (string)record.Record.EngineInfo["serverVersion"]!); // INFO went over TLS too

        Run("Backup-RedisRdb -Server localhost -Port $p -Tls -Credential $c -Repository $repo -KeyFile $key", ("p", tlsPort), ("c", Password("tls-Pass")))
            .AssertError("RedisTlsFailed");
        Assert.Single(Run("Get-Backup -Repository $repo").Objects<BackupRecord>());
    }
}
