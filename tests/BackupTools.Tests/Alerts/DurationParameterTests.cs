using BackupTools.Core;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.Tests.Cells;

namespace BackupTools.Tests.Alerts;

/// <summary>
/// Every duration parameter reads the same way (issue 23 item 3, issue 14 item 9): units as people write them,
/// PowerShell's unquoted 20s / 7d literals by their meaning, no bare number taken as ticks, an error that names the
/// parameter, and a range that keeps "now − duration" a real date.
/// </summary>
public sealed class DurationParameterTests : CellTestBase
{
    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 15 * 60)]
    [InlineData("15min", 15 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("4w", 28 * 86400)]
    [InlineData("1y", 365 * 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d12h", 36 * 3600)]
    [InlineData("1.5d", 36 * 3600)]
    [InlineData("7.00:00:00", 7 * 86400)]
    [InlineData("00:00:45", 45)]
    public void Durations_read_the_units_people_write(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text, "MaxAge"));
    }

    [Theory]
    [InlineData("20", "DurationUnitMissing")]
    [InlineData("2.5", "DurationUnitMissing")]
    [InlineData("soon", "DurationInvalid")]
    [InlineData("3mo", "DurationInvalid")]
    [InlineData("-5m", "DurationInvalid")]
    [InlineData("3000000d", "DurationOutOfRange")]
    [InlineData("999999999999999y", "DurationOutOfRange")]
    [InlineData("36501d", "DurationOutOfRange")]
    public void Bad_durations_are_refused_naming_the_parameter(string text, string errorId)
    {
        var error = Assert.Throws<BackupInputException>(() => Durations.Parse(text, "MaxVerifyAge"));
        Assert.Equal(errorId, error.ErrorId);
        Assert.StartsWith("-MaxVerifyAge:", error.Message);
        if (errorId == "DurationOutOfRange") Assert.Contains("36500d", error.Message);
    }

    [Fact]
    public void Short_durations_are_shown_in_seconds()
    {
        Assert.Equal("45s", Durations.Format(TimeSpan.FromSeconds(45)));
        Assert.Equal("0.5s", Durations.Format(TimeSpan.FromMilliseconds(500)));
        Assert.Equal("1.5min", Durations.Format(TimeSpan.FromSeconds(90)));
        Assert.Equal("26h", Durations.Format(TimeSpan.FromHours(26)));
        Assert.Equal("2.4d", Durations.Format(TimeSpan.FromHours(58)));
    }

    [Fact]
    public void Unquoted_20s_is_twenty_seconds_not_twenty_ticks()
    {
        InitRepoWithKey();
        Backup();
        // Unquoted, PowerShell hands the cmdlet the Int16 20 (its 's' suffix); read as ticks it was 2 µs.
        var status = Run("Get-BackupStatus -Repository $repo -MaxAge 20s").AssertNoErrors().Single<BackupStatus>();
        Assert.True(status.Healthy, string.Join("; ", status.Warnings));
        // 30m is minutes, as people write it, for every duration parameter.
        Run("Get-BackupStatus -Repository $repo -MaxAge 30m -MaxVerifyAge 7d | Out-Null").AssertError("BackupUnhealthy"); // never verified
        Run("Get-BackupStatus -Repository $repo -MaxAge '30m'").AssertNoErrors();
    }

    [Fact]
    public void A_bare_number_is_refused_naming_the_parameter_and_the_unit()
    {
        InitRepoWithKey();
        Backup();
        var result = Run("Get-BackupStatus -Repository $repo -MaxAge 20");
        var message = (result.Thrown?.Message ?? "") + string.Join(" ", result.Errors.Select(e => e.Exception.Message));
        Assert.Contains("-MaxAge: 20 has no unit", message);
        Assert.Contains("'20s'", message);
        Assert.Empty(result.Objects<BackupStatus>());

        var typo = Run("Get-BackupStatus -Repository $repo -MaxAge 30x");
        var typoMessage = (typo.Thrown?.Message ?? "") + string.Join(" ", typo.Errors.Select(e => e.Exception.Message));
        Assert.Contains("-MaxAge: '30x' is not a duration", typoMessage);
        Assert.DoesNotContain("KeepWithin", typoMessage);
    }

    [Fact]
    public void Ages_under_a_minute_are_shown_in_seconds()
    {
        InitRepoWithKey();
        Backup();
        var result = Run("[System.Threading.Thread]::Sleep(1300); Get-BackupStatus -Repository $repo -MaxAge 1s");
        result.AssertError("BackupUnhealthy");
        var warning = Assert.Single(result.Single<BackupStatus>().Warnings);
        Assert.Matches(@"^newest backup is \d+(\.\d)?s old \(max 1s\)$", warning);
    }

    [Fact]
    public void A_huge_KeepWithin_is_DurationOutOfRange_and_deletes_nothing()
    {
        InitRepoWithKey();
        var first = Backup();
        Backup();
        foreach (var value in new[] { "3000000d", "'3000000d'" })
        {
            var result = Run($"Invoke-BackupRetention -Repository $repo -KeepWithin {value} -Confirm:$false");
            var error = result.AssertError("DurationOutOfRange");
            Assert.StartsWith("-KeepWithin:", error.Exception.Message);
            Assert.Contains("36500d", error.Exception.Message);
        }
        Assert.Contains(first.Id, Run("Get-Backup -Repository $repo").AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id));
    }

    [Fact]
    public void Plan_durations_use_the_same_units_and_range()
    {
        var path = Temp.Sub("plan.yml");
        File.WriteAllText(path, """
            version: 1
            repository: /backups/main
            retention:
              keepDaily: 7
              keepWithin: 3000000d
            cells:
              - name: crm
                rpo: 30m
                rto: 45s
                sources:
                  - name: files
                    type: directory
                    path: /srv/crm
                    fullEvery: 20
            """);
        var result = PlanLoader.Load(path);
        var problems = string.Join("\n", result.Problems);
        Assert.Contains("retention.keepWithin", problems);
        Assert.Contains("longer than the largest allowed duration, 36500d", problems);
        Assert.Contains("20 has no unit", problems);
        Assert.True(result.Problems.Count == 2, problems);
    }
}
