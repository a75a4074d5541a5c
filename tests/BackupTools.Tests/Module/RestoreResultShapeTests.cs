using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

/// <summary>
/// Every Restore-* cmdlet writes a result with the common RestoreOutcome shape (RestoredId, Destination,
/// SafetyBackupId, Duration, Verification, hook outcome, Warnings), so scripts and Send-BackupAlert read them alike;
/// the names scripts used before the common base stay readable.
/// </summary>
public sealed class RestoreResultShapeTests : CellTestBase
{

    [Fact]
    public void Every_restore_cmdlet_outputs_a_RestoreOutcome()
    {
        var rows = Ps.Run("""
            Get-Command -Module BackupTools -Verb Restore | ForEach-Object {
                $name = $_.Name
                $_.OutputType.Type | Where-Object { $_ -ne [BackupTools.CellRestoreReport] } | ForEach-Object { "$name $($_.FullName) $([BackupTools.RestoreOutcome].IsAssignableFrom($_))" }
            }
            """).AssertNoErrors().Output.Select(o => o!.ToString()!).ToList();
        Assert.True(rows.Count >= 8, string.Join("\n", rows));
        Assert.All(rows, row => Assert.EndsWith(" True", row));
    }

    [Theory]
    [InlineData("BackupTools.RestoreResult", "Cell,Destination,Chain,RestoredId,RestoredPointInTime,SafetyBackupId,SafetyBackupSkipped,Files,Bytes,Duration,HookSucceeded,HookOutput,Status")]
    [InlineData("BackupTools.DatabaseRestoreResult", "Database,Server,RestoredId,RestoredPointInTime,SafetyBackupId,SafetyBackupSkipped,ReplacedExistingDatabase,Tables,Rows,Duration,Status")]
    [InlineData("BackupTools.RedisRestoreResult", "Server,RdbPath,Method,RestoredId,RestoredPointInTime,SafetyBackupId,SafetyBackupSkipped,Databases,Keys,ExpiredKeys,Duration,Status")]
    [InlineData("BackupTools.PgPitrRestoreResult", "Cell,DataDirectory,Port,Running,PreviousDataDirectory,BaseBackupId,BaseBackupCompletedAt,Target,RecoveredTo,WalFiles,FirstWal,LastWal,Duration,Status")]
    [InlineData("BackupTools.Core.Engines.RabbitMq.RabbitMqRestoreResult", "RestoredId,RestoredPointInTime,Broker,Vhost,Objects,SafetyBackupId,SafetyBackupSkipped,Verification,Duration")]
    [InlineData("BackupTools.Core.Engines.S3Bucket.S3BucketRestoreResult", "RestoredId,RestoredPointInTime,Target,Objects,Bytes,Removed,SafetyBackupId,Verification,Duration")]
    [InlineData("BackupTools.Core.Engines.Command.CommandRestoreResult", "RestoredId,Cell,RestoredPointInTime,Command,Bytes,Duration")]
    public void Names_scripts_used_before_stay(string type, string names)
    {
        var properties = Ps.Run($"[{type}].GetProperties().Name").AssertNoErrors().Output.Select(o => o!.ToString()).ToHashSet();
        Assert.All(names.Split(','), name => Assert.Contains(name, properties));
        Assert.All("Engine,Cell,RestoredId,Destination,SafetyBackupId,SafetyBackupSkipped,Duration,Verification,Warnings,HookSucceeded,HookOutput,Status".Split(','),
            name => Assert.Contains(name, properties));
    }

    [Fact]
    public void A_restore_result_lists_the_warnings_of_its_run_and_names_its_engine_and_verification()
    {
        InitRepoWithKey();
        var record = Backup();
        var result = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -SkipSafetyBackup -Confirm:$false", ("id", record.Id)).AssertNoErrors();
        var restored = result.Single<RestoreResult>();
        var warning = Assert.Single(result.Warnings);
        Assert.StartsWith("-SkipSafetyBackup:", warning);
        Assert.Equal([warning], restored.Warnings);
        Assert.True(restored.SafetyBackupSkipped);
        Assert.Equal("directory", restored.Engine);
        Assert.Equal("crm", restored.Cell);
        Assert.Contains("checked against the backup's index", restored.Verification);
    }
}
