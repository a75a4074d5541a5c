using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

/// <summary>
/// -Repository is declared once (RepositoryCmdlet) and overridden where a piped backup record supplies it: each cmdlet
/// keeps exactly the binding it had when every cmdlet declared its own (pipeline by property name or not, position).
/// </summary>
public sealed class RepositoryParameterTests : IDisposable
{
    private readonly PsSession _ps = new();

    [Fact]
    public void Repository_binds_from_the_pipeline_exactly_where_it_did_before_the_fold()
    {
        var actual = _ps.Run("Get-Command -Module BackupTools | Where-Object { $_.Parameters.ContainsKey('Repository') } | ForEach-Object { $p = $_.Parameters['Repository']; " +
            "$byName = @($p.ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName).Count -gt 0; $positional = @($p.ParameterSets.Values | Where-Object Position -ge 0).Count -gt 0; " +
            "'{0} {1}{2}' -f $_.Name, $(if ($byName) { 'piped' } else { 'named' }), $(if ($positional) { ' positional' }) }").AssertNoErrors().Output.Cast<string>().ToList();
        Assert.Equal(
        [
            "Backup-Cell named", "Backup-CommandOutput named", "Backup-MySql named", "Backup-MySqlPhysical named", "Backup-Postgres named", "Backup-PostgresBase named", "Backup-RabbitMqDefinitions piped",
            "Backup-RedisAof named", "Backup-RedisRdb named", "Backup-S3Bucket named", "Copy-Backup piped", "Export-BackupMetrics named", "Get-Backup named positional",
            "Get-BackupAudit piped positional", "Get-BackupStatus piped positional", "Invoke-BackupRetention piped positional", "Optimize-BackupRepository piped positional", "Push-MySqlBinlog named", "Push-PostgresWal named",
            "Receive-PostgresWal named", "Remove-Backup piped", "Repair-BackupRepository piped positional", "Restore-Cell piped", "Restore-CommandOutput piped", "Restore-MySql piped", "Restore-MySqlPhysical piped", "Restore-Postgres piped",
            "Restore-PostgresCluster named", "Restore-RabbitMqDefinitions piped", "Restore-RedisRdb piped", "Restore-S3Bucket piped", "Test-BackupIntegrity piped", "Update-BackupKey piped positional",
        ], actual.Order(StringComparer.Ordinal));
    }

    public void Dispose() => _ps.Dispose();
}
