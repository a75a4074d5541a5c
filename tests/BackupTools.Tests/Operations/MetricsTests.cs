using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Metrics;
using BackupTools.Tests.Cells;

namespace BackupTools.Tests.Operations;

/// <summary>Export-BackupMetrics: the file promtool accepts, values that match the repository, labels escaped.</summary>
public sealed partial class MetricsTests : CellTestBase
{
    private string Prom => Temp.Sub("textfile/backup.prom");

    [Fact]
    public void Exported_metrics_pass_promtool_and_carry_the_newest_backups_figures()
    {
        InitRepoWithKey();
        var first = Backup();
        var newest = Backup();
        Run("Get-Backup -Repository $repo -Latest | Test-BackupIntegrity -KeyFile $key | Out-Null").AssertNoErrors();
        Directory.CreateDirectory(Temp.Sub("textfile"));

        Run("Export-BackupMetrics -Path $prom -Repository $repo | Out-Null", ("prom", Prom)).AssertNoErrors();

        var text = File.ReadAllText(Prom);
        AssertPromtoolAccepts(text);
        var samples = Parse(text);
        string Key(string name) => $"{name}|cell=crm,engine=directory,repository=file://{Repo},source={Cell}";
        Assert.Equal(newest.StoredBytes, samples[Key("backup_last_size_bytes")]);
        Assert.Equal(newest.CompletedAt.ToUnixTimeMilliseconds() / 1000.0, samples[Key("backup_last_success_timestamp_seconds")], 3);
        Assert.Equal(1, samples[Key("backup_verify_success")]);
        Assert.Equal(1, samples[Key("backup_healthy")]);
        Assert.Equal(2, samples[Key("backup_series_backups")]);
        Assert.False(samples.ContainsKey(Key("backup_last_verified_restore_timestamp_seconds")), "no restore test ran: the sample is absent, not 0");
        Assert.Equal(first.StoredBytes + newest.StoredBytes, samples[$"backup_repository_bytes|repository=file://{Repo}"]);
        Assert.Empty(Directory.GetFiles(Temp.Sub("textfile"), "*.tmp"));
    }

    [Fact]
    public void Piped_statuses_with_quotes_and_newlines_in_a_source_path_stay_valid_and_round_trip()
    {
        InitRepoWithKey(createCell: false);
        var odd = Temp.Sub("cells/we\"ird dir\nname");
        Directory.CreateDirectory(odd);
        File.WriteAllText(Path.Combine(odd, "a.txt"), "x");
        Run("Backup-Cell -Name odd -Path $odd -Repository $repo -KeyFile $key | Out-Null", ("odd", odd)).AssertNoErrors();
        Directory.CreateDirectory(Temp.Sub("textfile"));

        Run("Get-BackupStatus -Repository $repo | Export-BackupMetrics -Path $prom | Out-Null", ("prom", Prom)).AssertNoErrors();

        var text = File.ReadAllText(Prom);
        AssertPromtoolAccepts(text);
        Assert.Contains($"backup_series_backups|cell=odd,engine=directory,repository=file://{Repo},source={odd}", Parse(text).Keys);
    }

    [Fact]
    public void A_missing_textfile_folder_is_refused_naming_Path()
    {
        InitRepoWithKey();
        Backup();
        var error = Run("Export-BackupMetrics -Path $prom -Repository $repo", ("prom", Temp.Sub("nowhere/backup.prom"))).AssertError("MetricsFolderMissing");
        Assert.Contains("-Path", error.Exception.Message);
    }

    [Fact]
    public void Label_values_are_escaped_as_the_exposition_format_requires()
    {
        Assert.Equal("a\\\\b\\\"c\\nd", PrometheusText.EscapeLabel("a\\b\"c\nd"));
        var text = new PrometheusText();
        text.Family("backup_x", "gauge", "help with a \\ backslash");
        text.Sample("backup_x", [("source", "C:\\data\\\"q\"\nline")], 1.5);
        AssertPromtoolAccepts(text.ToString());
        Assert.Equal(1.5, Parse(text.ToString())["backup_x|source=C:\\data\\\"q\"\nline"]);
    }

    [Fact]
    public void The_shipped_alert_rules_are_valid_and_use_only_metrics_we_export()
    {
        var rules = Path.Combine(Infrastructure.RepoPaths.Root, "examples", "prometheus", "backup-alerts.yml");
        var psi = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "check", "rules", rules }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.True(p.ExitCode == 0, output);
        var exported = MetricFamily().Matches(File.ReadAllText(Path.Combine(Infrastructure.RepoPaths.Root, "src", "BackupTools.Core", "Metrics", "BackupMetrics.cs")))
            .Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var used in UsedMetric().Matches(File.ReadAllText(rules)).Select(m => m.Value).Distinct())
            Assert.True(exported.Contains(used), $"{used} is used by an alert rule but never exported");
        foreach (var alert in new[] { "BackupTooOld", "BackupVerifyFailed", "BackupSizeDrop", "BackupStorageGrowing" })
            Assert.Contains($"alert: {alert}", File.ReadAllText(rules));
    }

    [GeneratedRegex("\"(backup_[a-z_]+)\"")]
    private static partial Regex MetricFamily();

    [GeneratedRegex(@"\bbackup_[a-z_]+\b")]
    private static partial Regex UsedMetric();

    internal static void AssertPromtoolAccepts(string text)
    {
        var psi = new ProcessStartInfo("promtool") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(text);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.True(p.ExitCode == 0, $"promtool rejected the metrics: {output}\n{text}");
    }

    /// <summary>name|label=value,… (labels sorted, values unescaped) → value.</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a sample line: {line}");
            var labels = LabelPair().Matches(m.Groups["labels"].Value)
                .Select(l => $"{l.Groups["name"].Value}={Regex.Replace(l.Groups["value"].Value, @"\\(.)", e => e.Groups[1].Value == "n" ? "\n" : e.Groups[1].Value)}")
                .Order(StringComparer.Ordinal);
            samples[$"{m.Groups["name"].Value}|{string.Join(",", labels)}".TrimEnd('|')] = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPair();
}
