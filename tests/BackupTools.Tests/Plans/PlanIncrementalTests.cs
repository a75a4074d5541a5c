using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Plans;

/// <summary>
/// Directory sources with fullEvery: incrementals chained on the same source's own backups (a cell may hold
/// several trees), a new Full once the last one is that old, retention keeping what a chain needs.
/// </summary>
public sealed class PlanIncrementalTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();

    public PlanIncrementalTests()
    {
        foreach (var tree in new[] { "uploads", "configs" })
        {
            Directory.CreateDirectory(_temp.Sub(tree));
            File.WriteAllText(_temp.Sub($"{tree}/first.txt"), $"{tree} first");
        }
        _ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key") }).AssertNoErrors();
    }

    private string WritePlan(string fullEvery)
    {
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, $"""
            version: 1
            repository: {_temp.Sub("repo")}
            keys:
              - file: {_temp.Sub("main.key")}
            retention:
              keepLast: 1
            cells:
              - name: web
                sources:
                  - name: uploads
                    type: directory
                    path: {_temp.Sub("uploads")}
                    fullEvery: {fullEvery}
                  - name: configs
                    type: directory
                    path: {_temp.Sub("configs")}
                    fullEvery: {fullEvery}
            """);
        return path;
    }

    private Dictionary<string, BackupRecord> Run(string plan)
    {
        var result = _ps.Run("Invoke-BackupPlan -Path $plan", new Dictionary<string, object?> { ["plan"] = plan }).AssertNoErrors();
        var sources = result.Objects<PlanSourceResult>().ToList();
        Assert.All(sources, s => Assert.True(s.Succeeded && s.Verified == true, s.ToString()));
        return sources.ToDictionary(s => s.Source, s => s.Record!);
    }

    [Fact]
    public void Each_source_chains_on_its_own_backups_until_its_full_is_older_than_fullEvery()
    {
        var plan = WritePlan("1d");
        var first = Run(plan);
        Assert.All(first.Values, r => Assert.Equal(BackupKind.Full, r.Kind));

        File.WriteAllText(_temp.Sub("uploads/second.txt"), "uploads second");
        var second = Run(plan);
        Assert.All(second.Values, r => Assert.Equal(BackupKind.Incremental, r.Kind));
        // Each incremental sits on its own tree's backup, not on the other source's newer one.
        Assert.Equal(first["uploads"].Id, second["uploads"].ParentId);
        Assert.Equal(first["configs"].Id, second["configs"].ParentId);

        File.Delete(_temp.Sub("uploads/first.txt"));
        var third = Run(plan);
        Assert.Equal(second["uploads"].Id, third["uploads"].ParentId);

        // keepLast 1 must still leave every backup the newest one needs to be restored.
        var kept = _ps.Run("Get-Backup -Repository $r -Cell web", new Dictionary<string, object?> { ["r"] = _temp.Sub("repo") })
            .AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id).ToHashSet();
        Assert.Superset(new HashSet<string> { first["uploads"].Id, second["uploads"].Id, third["uploads"].Id, first["configs"].Id }, kept);

        var restored = _temp.Sub("restored");
        _ps.Run("Restore-Cell -Id $id -Repository $r -KeyFile $k -Destination $d -Confirm:$false",
            new Dictionary<string, object?> { ["id"] = third["uploads"].Id, ["r"] = _temp.Sub("repo"), ["k"] = _temp.Sub("main.key"), ["d"] = restored }).AssertNoErrors();
        TreeSnapshot.AssertSame(_temp.Sub("uploads"), restored);

        // Once the last Full is older than fullEvery, the next run starts a new chain.
        Thread.Sleep(1100);
        var fresh = Run(WritePlan("1s"));
        Assert.All(fresh.Values, r => Assert.Equal(BackupKind.Full, r.Kind));
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }
}
