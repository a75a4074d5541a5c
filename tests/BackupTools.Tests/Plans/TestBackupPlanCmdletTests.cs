using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Plans;

public sealed class TestBackupPlanCmdletTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();

    [Fact]
    public void A_valid_plan_yields_a_summary_and_no_error()
    {
        var result = _ps.Run("Test-BackupPlan $p", new Dictionary<string, object?> { ["p"] = Path.Combine(RepoPaths.Root, "examples", "backup.yml") }).AssertNoErrors();
        var v = result.Single<PlanValidation>();
        Assert.True(v.Valid);
        Assert.Equal(["crm", "orders"], v.Cells);
        Assert.Equal(4, v.Sources);
        Assert.Equal(["dr"], v.Sites);
    }

    [Fact]
    public void Each_problem_is_an_error_with_file_and_line()
    {
        var path = _temp.Sub("backup.yml");
        File.WriteAllText(path, "version: 1\nrepository: /b\ncells:\n  - name: crm\n    sources:\n      - { name: db, type: postgres }\n    rpo: soon\n");
        var result = _ps.Run("Test-BackupPlan $p", new Dictionary<string, object?> { ["p"] = path });
        Assert.False(result.Single<PlanValidation>().Valid);
        Assert.Equal(["BackupPlanInvalid", "BackupPlanInvalid"], result.ErrorIds);
        Assert.Contains($"{path}:6:9: cells[0].sources[0].database: a postgres source needs database.", result.Errors.Select(e => e.Exception.Message));
        Assert.Contains($"{path}:7:10: cells[0].rpo: 'soon' is not a duration.", result.Errors.Select(e => e.Exception.Message).Select(m => m.Split(" Allowed")[0]));
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }
}
