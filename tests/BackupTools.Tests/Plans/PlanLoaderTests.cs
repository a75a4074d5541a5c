using BackupTools.Core.Plans;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Plans;

/// <summary>backup.yml loading: the shipped example is valid and complete; each kind of mistake is named at its line.</summary>
public sealed class PlanLoaderTests : IDisposable
{
    private readonly TempDir _temp = new();

    private PlanLoadResult LoadText(string yaml)
    {
        var path = _temp.Sub($"plan-{Guid.NewGuid():N}.yml");
        File.WriteAllText(path, yaml);
        return PlanLoader.Load(path);
    }

    private static string Problems(PlanLoadResult r) => string.Join("\n", r.Problems);

    private const string Minimal = """
        version: 1
        repository: /backups/main
        cells:
          - name: crm
            sources:
              - name: files
                type: directory
                path: /srv/crm
        """;

    [Fact]
    public void The_shipped_example_declares_every_section_and_is_valid()
    {
        var result = PlanLoader.Load(Path.Combine(RepoPaths.Root, "examples", "backup.yml"));
        Assert.True(result.Valid, Problems(result));
        var plan = result.Plan!;
        Assert.Equal("local", plan.PrimaryTarget);
        Assert.Equal(["local", "nas", "offsite"], plan.Targets.Keys);
        Assert.Equal(new SecretRef("OSS_ACCESS_KEY_ID", null), plan.Targets["offsite"].AccessKeyId);
        Assert.Equal([new SecretRef(null, "/etc/backuptools/main.key"), new SecretRef("BACKUPTOOLS_OLD_KEY", null)], plan.Keys);
        Assert.Equal(new PlanRetention(0, 0, 14, 9, 12, 0, null), plan.Retention);
        var crm = plan.Cells[0];
        Assert.Equal(("crm", 1, TimeSpan.FromHours(24), TimeSpan.FromHours(1), "0 2 * * *"), (crm.Name, crm.Priority, crm.Rpo, crm.Rto, crm.Schedule));
        Assert.Equal(["postgres", "redis", "directory"], crm.Sources.Select(s => s.Kind));
        Assert.Equal(new SecretRef("CRM_PG_PASSWORD", null), crm.Sources[0].Password);
        Assert.Equal(["db", "cache", "uploads"], crm.RestoreOrder);
        Assert.Equal("systemctl stop crm-api", crm.Hooks.BeforeRestore);
        Assert.Equal(["api", "db-port"], crm.HealthChecks.Select(h => h.Name));
        Assert.Equal(new PlanRetention(0, 48, 14, 0, 0, 0, null), plan.Cells[1].Retention);
        Assert.Equal(["slack", "email"], plan.Alerts.Select(a => a.Kind));
        var dr = plan.Sites["dr"];
        Assert.Equal(("offsite", "10.9.0.5"), (dr.SyncFrom, dr.Endpoints["crm/db"].Server));
        Assert.Equal("/etc/backuptools/switch-dns-to-dr.sh", dr.TrafficSwitch);
    }

    [Fact]
    public void A_path_as_repository_becomes_the_primary_target()
    {
        var result = LoadText(Minimal);
        Assert.True(result.Valid, Problems(result));
        Assert.Equal("/backups/main", result.Plan!.Primary.Repository);
        Assert.Equal(new PlanVerify(true, false), result.Plan.Verify);
    }

    [Fact]
    public void An_inline_password_is_refused_at_its_line_and_never_echoed()
    {
        var result = LoadText(Minimal + """

                  - name: db
                    type: postgres
                    database: crm
                    password: Hunter2-Inline
            """);
        var problem = Assert.Single(result.Problems);
        Assert.Equal((12, "cells[0].sources[1].password"), (problem.Line, problem.Key));
        Assert.Contains("secrets cannot be written in a plan", problem.Message);
        Assert.DoesNotContain("Hunter2-Inline", problem.ToString());
    }

    [Theory]
    [InlineData("        rpo: 3 days", 9, "cells[0].rpo", "is not a duration")]
    [InlineData("        sourcez: []", 9, "cells[0].sourcez", "is not a known key here")]
    [InlineData("        targets: [nowhere]", 9, "cells[0].targets", "'nowhere' is not a target")]
    [InlineData("        priority: high", 9, "cells[0].priority", "is not a whole number")]
    [InlineData("        schedule: 'every night'", 9, "cells[0].schedule", "is not a valid cron expression")]
    [InlineData("        schedule: '0 25 * * *'", 9, "cells[0].schedule", "hour")]
    [InlineData("        restore: { order: [db] }", 9, "cells[0].restore.order", "'db' is not a source of this cell")]
    [InlineData("        retention: { keepDaily: 0, keepWeekly: 4 }", 9, "cells[0].retention.keepDaily", "is not a whole number from 1")]
    public void Each_mistake_names_line_key_and_what_is_wrong(string extraLine, int line, string key, string message)
    {
        var problem = Assert.Single(LoadText(Minimal + "\n" + extraLine.Replace("        ", "    ") + "\n").Problems);
        Assert.Equal((line, key), (problem.Line, problem.Key));
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void Several_problems_are_all_reported_with_the_allowed_values()
    {
        var result = LoadText("""
            version: 2
            repository: nowhere
            cells:
              - name: "bad name!"
                sources:
                  - name: x
                    type: mongodb
            """);
        var text = Problems(result);
        Assert.Null(result.Plan);
        Assert.Contains(":1:", text);
        Assert.Contains("repository: 'nowhere' is neither a target name nor a path/URI", text);
        Assert.Contains("cells[0].name: 'bad name!' is not a valid cell name", text);
        Assert.Contains($"'mongodb' is not one of the allowed values. Allowed: {string.Join(", ", BackupTools.Core.Engines.Registry.EngineRegistry.PlanKinds)}.", text);
        Assert.Contains("Allowed: postgres, mysql, redis, directory", text);
    }

    [Fact]
    public void A_mysql_physical_source_needs_an_absolute_data_directory_and_binlog_spool()
    {
        var physical = Minimal.Replace("type: directory\n        path: /srv/crm", "type: mysql-physical\n        path: /var/lib/mysql");
        var ok = LoadText(physical + "\n        binlogSpool: /var/spool/bt\n        binlogCell: crm-binlog\n");
        Assert.Empty(ok.Problems);
        Assert.Equal("/var/spool/bt", ok.Plan!.Cells[0].Sources[0].Option("binlogSpool"));

        var relative = LoadText(physical.Replace("path: /var/lib/mysql", "path: mysql") + "\n        binlogSpool: spool\n        binlogCell: -x\n");
        Assert.Equal(["cells[0].sources[0].path", "cells[0].sources[0].binlogSpool", "cells[0].sources[0].binlogCell"], relative.Problems.Select(p => p.Key));
        Assert.Contains("a mysql-physical source needs path.", Problems(LoadText(physical.Replace("        path: /var/lib/mysql\n", "").Replace("path: /var/lib/mysql", ""))));
    }

    [Fact]
    public void FullEvery_is_read_for_directory_sources_and_refused_for_dumps()
    {
        var ok = LoadText(Minimal + "\n        fullEvery: 7d\n");
        Assert.Empty(ok.Problems);
        Assert.Equal(TimeSpan.FromDays(7), ok.Plan!.Cells[0].Sources[0].FullEvery);

        var dump = LoadText(Minimal.Replace("type: directory\n        path: /srv/crm", "type: postgres\n        database: crm") + "\n        fullEvery: 7d\n");
        var problem = Assert.Single(dump.Problems);
        Assert.Equal("cells[0].sources[0].fullEvery", problem.Key);
        Assert.Contains("applies to directory sources", problem.Message);
        Assert.Contains("is not a duration", Problems(LoadText(Minimal + "\n        fullEvery: weekly\n")));
    }

    [Fact]
    public void Broken_yaml_and_a_missing_file_are_clear()
    {
        var syntax = Assert.Single(LoadText("version: 1\ncells: [\n  - name: x\n").Problems);
        Assert.Equal("(syntax)", syntax.Key);
        Assert.True(syntax.Line >= 2);
        var missing = Assert.Throws<BackupTools.Core.Errors.BackupInputException>(() => PlanLoader.Load(_temp.Sub("none.yml")));
        Assert.Equal("BackupPlanNotFound", missing.ErrorId);
    }

    [Fact]
    public void Sites_must_point_at_declared_cells_sources_and_targets()
    {
        var result = LoadText(Minimal + """

            sites:
              dr:
                repository: /dr
                syncFrom: offsite
                endpoints:
                  crm/nothing: { server: 10.0.0.1 }
            """);
        var text = Problems(result);
        Assert.Contains("sites.dr.syncFrom: 'offsite' is not a target", text);
        Assert.Contains("sites.dr.endpoints.crm/nothing: is not a <cell>/<source> of this plan. Allowed: crm/files", text);
    }

    public void Dispose() => _temp.Dispose();
}
