using System.Management.Automation;
using System.Text.RegularExpressions;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

public sealed class ModuleManifestTests : IDisposable
{
    private readonly PsSession _ps = new();

    private static readonly string[] Cmdlets =
    [
        "Initialize-BackupRepository", "New-BackupKey", "Update-BackupKey", "Repair-BackupRepository", "Backup-Cell", "Get-Backup", "Test-BackupIntegrity", "Restore-Cell",
        "Backup-Postgres", "Restore-Postgres", "Backup-PostgresBase", "Push-PostgresWal", "Receive-PostgresWal", "Restore-PostgresCluster", "Push-MySqlBinlog", "Backup-MySqlPhysical", "Restore-MySqlPhysical", "Backup-MySql", "Invoke-BackupRetention", "Remove-Backup", "Optimize-BackupRepository", "Get-BackupStatus", "Export-BackupMetrics", "Get-BackupAudit", "Test-BackupPlan", "Invoke-BackupPlan", "Invoke-DrFailover", "Invoke-DrFailback",
        "Copy-Backup", "Sync-BackupRepository",
        "Send-BackupAlert", "Register-BackupSchedule", "Get-BackupSchedule", "Unregister-BackupSchedule",
        "Backup-RedisRdb", "Restore-RedisRdb", "Backup-RedisAof",
        "Restore-MySql",
        "Backup-CommandOutput", "Restore-CommandOutput", "Backup-S3Bucket", "Restore-S3Bucket",
        "Backup-RabbitMqDefinitions", "Restore-RabbitMqDefinitions",
    ];

    [Fact]
    public void Manifest_exports_exactly_the_cmdlets_the_assembly_defines()
    {
        var exported = _ps.Run("(Get-Module BackupTools).ExportedCmdlets.Keys").AssertNoErrors().Output.Cast<string>().Order().ToList();
        var defined = _ps.Run("(Get-Command Backup-Cell).ImplementingType.Assembly.GetTypes() | Where-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false).Count -gt 0 } | ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; \"$($a.VerbName)-$($a.NounName)\" }")
            .AssertNoErrors().Output.Cast<string>().Order().ToList();
        Assert.Equal(defined, exported);
        Assert.Equal(Cmdlets.Order(), exported);
        Assert.DoesNotContain("*", File.ReadAllText(RepoPaths.ModuleManifest).Split("CmdletsToExport")[1].Split(')')[0]);
    }

    [Fact]
    public void Every_cmdlet_that_takes_a_repository_also_takes_its_storage_credential()
    {
        // Without it an s3:// repository with its own keys is out of reach of that one cmdlet (Restore-MySql once).
        var missing = _ps.Run("Get-Command -Module BackupTools | Where-Object { $_.Parameters.ContainsKey('Repository') -and -not $_.Parameters.ContainsKey('StorageCredential') } | ForEach-Object Name")
            .AssertNoErrors().Output.Cast<string>().ToList();
        Assert.Empty(missing);
        Assert.Equal(typeof(System.Management.Automation.PSCredential).FullName,
            _ps.Run("(Get-Command Restore-MySql).Parameters['StorageCredential'].ParameterType.FullName").AssertNoErrors().Output.Single());
    }

    [Fact]
    public void Manifest_version_matches_the_build_version()
    {
        var props = File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"));
        var version = Regex.Match(props, "<Version>([^<]+)</Version>").Groups[1].Value;
        var manifest = Regex.Match(File.ReadAllText(RepoPaths.ModuleManifest), @"ModuleVersion\s*=\s*'([^']+)'").Groups[1].Value;
        Assert.Equal(version, manifest);
    }

    public static TheoryData<string> AllCmdlets() => new(Cmdlets);

    [Theory]
    [MemberData(nameof(AllCmdlets))]
    public void Every_cmdlet_has_help_with_synopsis_parameters_and_an_example(string name)
    {
        var synopsis = _ps.Run("(Get-Help $name -Full).Synopsis", new Dictionary<string, object?> { ["name"] = name }).AssertNoErrors().Output.Single()?.ToString() ?? "";
        Assert.False(string.IsNullOrWhiteSpace(synopsis));
        Assert.DoesNotContain(name + " [", synopsis); // auto-generated syntax means no MAML help was found
        var examples = _ps.Run("(Get-Help $name -Examples).examples.example.Count", new Dictionary<string, object?> { ["name"] = name }).AssertNoErrors().Output.Single();
        Assert.True(Convert.ToInt32(examples) >= 1, $"{name} has no examples");
        var undocumented = _ps.Run("(Get-Help $name -Full).parameters.parameter | Where-Object { -not $_.description } | ForEach-Object { $_.name }",
            new Dictionary<string, object?> { ["name"] = name }).AssertNoErrors().Output;
        Assert.Empty(undocumented);
    }

    [Fact]
    public void Parameter_surface_is_stable()
    {
        string Surface(string cmd) => string.Join(",", _ps.Run("(Get-Command $c).Parameters.Values | Where-Object { -not [System.Management.Automation.Cmdlet]::CommonParameters.Contains($_.Name) -and -not [System.Management.Automation.Cmdlet]::OptionalCommonParameters.Contains($_.Name) } | ForEach-Object { $m = ($_.ParameterSets.Values | Where-Object IsMandatory).Count -gt 0; \"$($_.Name)$(if ($m) {'!'})\" }",
            new Dictionary<string, object?> { ["c"] = cmd }).AssertNoErrors().Output.Cast<string>().Order());
        Assert.Equal("Compression,CompressionLevel,Key,KeyFile,LockTimeoutSec,Name!,Path!,Repository,StorageCredential,Tag,Type", Surface("Backup-Cell"));
        Assert.Equal("At,Destination,Force,Id!,Key,KeyFile,LockTimeoutSec,Name!,Plan!,Repository,RestoreHook,RestoreHookTimeoutSec,Site,SkipSafetyBackup,Source,StorageCredential", Surface("Restore-Cell"));
        Assert.Equal("ConnectionString,Credential,Id,Key,KeyFile,Port,ReadData,ReadDataSubset,Repository,RestoreTest,Server,StorageCredential,StoredOnly,ToolPath", Surface("Test-BackupIntegrity"));
        Assert.Equal("AllDatabases!,Cell,Compression,CompressionLevel,ConnectionString,Credential,Database!,IncludeGlobals,Jobs,Key,KeyFile,LockTimeoutSec,Port,Repository,Schema,SchemaOnly,Server,StorageCredential,Table,ToolPath", Surface("Backup-Postgres"));
        Assert.Equal("AllDatabases!,Cell,Compression,CompressionLevel,ConnectionString,Credential,Database!,IncludeSystemDatabases,Key,KeyFile,LockTimeoutSec,Port,Repository,Server,StorageCredential,ToolPath", Surface("Backup-MySql"));
        Assert.Equal("At,ConnectionString,Credential,Database!,Force,Id!,Jobs,Key,KeyFile,LockTimeoutSec,Port,Repository,Server,SkipSafetyBackup,StorageCredential,TargetDatabase,ToolPath", Surface("Restore-Postgres"));
        Assert.Equal("Cell,Compression,ConnectionString,Credential,IntervalSec,Key,KeyFile,LockTimeoutSec,Port,Repository,Server,Spool!,StartFile,StorageCredential,ToolPath,Watch", Surface("Push-MySqlBinlog"));
        Assert.Equal("Cell,Compression,CompressionLevel,ConnectionString,Credential,Key,KeyFile,LockTimeoutSec,Port,Repository,Server,StorageCredential,ToolPath", Surface("Backup-MySqlPhysical"));
        Assert.Equal("At,BinlogCell,Cell!,ConnectionString,Credential,DataDirectory!,Gtid,Id!,KeepPreviousDataDirectory,Key,KeyFile,Port,Repository,Server,StartCommand,StorageCredential,ToolPath", Surface("Restore-MySqlPhysical"));
        Assert.Equal("At,BaseBackupId,Cell!,DataDirectory!,InPlace,KeepRunning,Key,KeyFile,Lsn,OsUser,Port!,Repository,RestorePoint,StorageCredential,TablespaceMap,ToolPath,Xid", Surface("Restore-PostgresCluster"));
        Assert.Equal("Cell,Id,IncludeSafety,KeyRotationPeriod,Kind,Latest,Repository,Since,Source,StorageCredential,Until", Surface("Get-Backup"));
        Assert.Equal("Compression,CompressionLevel,Format,Path!,RequireEncryption,StorageCredential", Surface("Initialize-BackupRepository"));
        Assert.Equal("ExportPublicKey,Force,KeyPair,Name,Path!,PublicKeyPath", Surface("New-BackupKey"));
        Assert.Equal("From!,LockTimeoutSec,Repository,StorageCredential,To!", Surface("Update-BackupKey"));
        Assert.Equal("Key,KeyFile,LockTimeoutSec,RebuildIndex!,Repository,StorageCredential", Surface("Repair-BackupRepository"));
        Assert.Equal("Cell,KeepDaily,KeepHourly,KeepLast,KeepMonthly,KeepWeekly,KeepWithin,KeepYearly,LockTimeoutSec,Repository,StorageCredential", Surface("Invoke-BackupRetention"));
        Assert.Equal("Force,Id!,LockTimeoutSec,Repository,StorageCredential", Surface("Remove-Backup"));
        Assert.Equal("Key,KeyFile,LockTimeoutSec,RepackThreshold,Repository,StorageCredential", Surface("Optimize-BackupRepository"));
        Assert.Equal("Cell,KeyRotationPeriod,MaxAge,MaxVerifyAge,MinSizeRatio,Repository,RequiredTarget,StorageCredential", Surface("Get-BackupStatus"));
        Assert.Equal("InputObject!,MaxAge,Path!,Repository,StorageCredential", Surface("Export-BackupMetrics"));
        Assert.Equal("Cell,Failed,Id,Last,Operation,Repository,Since,StorageCredential,Until", Surface("Get-BackupAudit"));
        Assert.Equal("Path!", Surface("Test-BackupPlan"));
        Assert.Equal("Cell,LockTimeoutSec,Path!,SkipRetention", Surface("Invoke-BackupPlan"));
        Assert.Equal("Cell,LockTimeoutSec,Plan!,Site!,SkipSync", Surface("Invoke-DrFailover"));
        Assert.Equal("Cell,LockTimeoutSec,Plan!,Site!", Surface("Invoke-DrFailback"));
        Assert.Equal("Id!,Key,KeyFile,LockTimeoutSec,Repository,StorageCredential,Target!,TargetKey,TargetKeyFile,TargetStorageCredential", Surface("Copy-Backup"));
        Assert.Equal("Cell,Destination!,DestinationKey,DestinationKeyFile,DestinationStorageCredential,Key,KeyFile,LockTimeoutSec,RepairDamaged,Source!,StorageCredential", Surface("Sync-BackupRepository"));
        Assert.Equal("AlertLog,Credential,DingTalk,DingTalkSecret,From,InputObject,OnFailure,PassThru,SkipCertificateCheck,Slack,SmtpPort,SmtpServer,TimeoutSec,To,UseStartTls,Webhook,WeCom", Surface("Send-BackupAlert"));
        Assert.Equal("At,Command!,Cron,DayOfWeek,Description,Force,LogPath,Name!,Preset,Scope,Script!,Target,TargetPath", Surface("Register-BackupSchedule"));
        Assert.Equal("Name,Scope,Target,TargetPath", Surface("Get-BackupSchedule"));
        Assert.Equal("Name!,PassThru,Scope,Target,TargetPath", Surface("Unregister-BackupSchedule"));
        Assert.Equal("Cell,Compression,CompressionLevel,Credential,Key,KeyFile,LockTimeoutSec,Mode,Port,RdbPath,Repository,SaveTimeoutSec,Server,SkipCertificateCheck,StorageCredential,Tls", Surface("Backup-RedisRdb"));
        Assert.Equal("Credential,Id!,Key,KeyFile,LockTimeoutSec,Method,Port,RdbPath,Repository,Server,SkipCertificateCheck,SkipSafetyBackup,StartScript,StartTimeoutSec,StopScript,StorageCredential,Tls", Surface("Restore-RedisRdb"));
        Assert.Equal("AofDirectory,Cell,Compression,CompressionLevel,Credential,Key,KeyFile,LockTimeoutSec,Port,Repository,RewriteTimeoutSec,Server,SkipCertificateCheck,StorageCredential,Tls", Surface("Backup-RedisAof"));
        foreach (var destructive in new[] { "Invoke-BackupRetention", "Remove-Backup", "Invoke-DrFailover", "Invoke-DrFailback" })
            Assert.Equal("High", _ps.Run("(Get-Command $c).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact.ToString()",
                new Dictionary<string, object?> { ["c"] = destructive }).AssertNoErrors().Output.Single());
        Assert.Equal("At,BinlogCell,ConnectionString,Credential,Database!,Force,Gtid,Id!,Key,KeyFile,LockTimeoutSec,Port,Repository,Server,SkipSafetyBackup,StorageCredential,TargetDatabase,ToolPath", Surface("Restore-MySql"));
        Assert.Equal("Cell!,Command!,Compression,CompressionLevel,Environment,HookTimeoutSec,Key,KeyFile,LockTimeoutSec,QuiesceCommand,Repository,ResumeCommand,StorageCredential,VerifyCommand", Surface("Backup-CommandOutput"));
        Assert.Equal("Command!,Environment,Id!,Key,KeyFile,Repository,StorageCredential", Surface("Restore-CommandOutput"));
        Assert.Equal("Cell,Compression,CompressionLevel,Full,Key,KeyFile,LockTimeoutSec,Repository,Source!,SourceCredential,StorageCredential", Surface("Backup-S3Bucket"));
        Assert.Equal("Id!,InPlace,Key,KeyFile,LockTimeoutSec,Repository,SkipSafetyBackup,StorageCredential,Target,TargetCredential", Surface("Restore-S3Bucket"));
        Assert.Equal("Cell,Compression,CompressionLevel,Credential,Key,KeyFile,LockTimeoutSec,ManagementUrl,Repository,StorageCredential,Vhost", Surface("Backup-RabbitMqDefinitions"));
        Assert.Equal("Credential,Id!,Key,KeyFile,LockTimeoutSec,ManagementUrl,Repository,SkipSafetyBackup,StorageCredential,Vhost", Surface("Restore-RabbitMqDefinitions"));
        Assert.Equal("High", _ps.Run("(Get-Command Restore-MySql).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact.ToString()").AssertNoErrors().Output.Single());
        Assert.Equal("High", _ps.Run("(Get-Command Restore-Cell).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0].ConfirmImpact.ToString()").AssertNoErrors().Output.Single());
    }

    [Fact]
    public void Output_types_have_default_views_loaded_with_the_module()
    {
        var files = _ps.Run("(Get-Module BackupTools).ExportedFormatFiles").AssertNoErrors().Output.Cast<string>().ToList();
        var format = Assert.Single(files);
        var views = System.Xml.Linq.XDocument.Load(format).Descendants("TypeName").Select(t => t.Value).ToList();
        foreach (var type in new[] { typeof(BackupRecord), typeof(IntegrityResult), typeof(RestoreResult), typeof(RepositoryInfo), typeof(DatabaseRestoreResult), typeof(RetentionDecision), typeof(BackupStatus), typeof(AuditEntry), typeof(PlanValidation), typeof(SyncResult), typeof(PlanSourceResult), typeof(PlanRunSummary), typeof(CellRestoreReport), typeof(FailoverResult), typeof(AlertResult), typeof(BackupSchedule) })
            Assert.Contains(type.FullName, views);
    }

    public void Dispose() => _ps.Dispose();
}
