using System.Diagnostics;
using System.Text;
using System.Xml.Linq;
using BackupTools.Core.Scheduling;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Scheduling;

/// <summary>Register-/Get-/Unregister-BackupSchedule against files in a temp folder (this host has no crontab command).</summary>
public sealed class ScheduleCmdletTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private string Crontab => _temp.Sub("crontab");
    private string Units => _temp.Sub("units");
    private string Tasks => _temp.Sub("tasks");

    private PsResult Run(string script, params (string Name, object? Value)[] vars)
    {
        var all = new Dictionary<string, object?> { ["crontab"] = Crontab, ["units"] = Units, ["tasks"] = Tasks, ["temp"] = _temp.Path };
        foreach (var (n, v) in vars) all[n] = v;
        return _ps.Run(script, all);
    }

    private static (int Code, string Out, string Err) Process(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), file + " hung");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Cron_blocks_are_added_replaced_listed_and_removed_leaving_the_rest_of_the_crontab_alone()
    {
        const string own = "MAILTO=ops@example.com\n# my own job\n0 5 * * * /usr/local/bin/rotate-logs\n";
        File.WriteAllText(Crontab, own);
        var daily = Run("Register-BackupSchedule -Name crm-daily -Command 'Backup-Cell crm /data/crm' -At 02:30 -Target Cron -TargetPath $crontab -Description 'CRM nightly'")
            .AssertNoErrors().Single<BackupSchedule>();
        Assert.Equal("30 2 * * *", daily.Cron);
        Assert.Equal(DateTime.Today.AddHours(2.5) > DateTime.Now ? DateTime.Today.AddHours(2.5) : DateTime.Today.AddDays(1).AddHours(2.5), daily.NextRun);
        Run("Register-BackupSchedule -Name crm-hourly -Command 'Backup-Cell crm /data/crm -Type Incremental' -Preset Hourly -Target Cron -TargetPath $crontab").AssertNoErrors();

        var text = File.ReadAllText(Crontab);
        Assert.StartsWith(own, text);
        Assert.Contains("# BEGIN BackupTools schedule crm-daily\n# CRM nightly\n30 2 * * * ", text);
        Assert.Contains($"{Path.Combine(RepoPaths.Root, "bt")} -Command 'Backup-Cell crm /data/crm'\n# END BackupTools schedule crm-daily\n", text);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Crontab));

        // Same name again: refused without -Force, replaced in place with it.
        Run("Register-BackupSchedule -Name crm-daily -Command x -Cron '0 1 * * *' -Target Cron -TargetPath $crontab").AssertError("ScheduleExists");
        Run("Register-BackupSchedule -Name crm-daily -Command 'Backup-Cell crm /data/crm -Type Full' -Cron '0 1 * * *' -Target Cron -TargetPath $crontab -Force").AssertNoErrors();
        text = File.ReadAllText(Crontab);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "BEGIN BackupTools schedule crm-daily"));
        Assert.True(text.IndexOf("crm-daily", StringComparison.Ordinal) < text.IndexOf("crm-hourly", StringComparison.Ordinal), "replaced in place");

        var listed = Run("Get-BackupSchedule -Target Cron -TargetPath $crontab").AssertNoErrors().Objects<BackupSchedule>().ToList();
        Assert.Equal(["crm-daily", "crm-hourly"], listed.Select(s => s.Name));
        Assert.Equal(["0 1 * * *", "15 * * * *"], listed.Select(s => s.Cron));
        Assert.EndsWith("-Command 'Backup-Cell crm /data/crm -Type Full'", listed[0].Command);
        Assert.Equal(["crm-hourly"], Run("Get-BackupSchedule *hour* -Target Cron -TargetPath $crontab").Objects<BackupSchedule>().Select(s => s.Name));

        Run("Get-BackupSchedule crm-* -Target Cron -TargetPath $crontab | Unregister-BackupSchedule").AssertNoErrors();
        Assert.Equal(own, File.ReadAllText(Crontab));
        Run("Unregister-BackupSchedule crm-daily -Target Cron -TargetPath $crontab").AssertError("ScheduleNotFound");
    }

    [Fact]
    public async Task The_users_crontab_is_edited_through_the_crontab_command_and_given_back_as_it_was()
    {
        var name = "bt-test-" + Guid.NewGuid().ToString("N")[..8];
        if (ScheduledCommand.FindOnPath("crontab") is null)
        {
            Run($"Register-BackupSchedule -Name {name} -Command x -Preset Daily -Target Cron").AssertError("CrontabUnavailable");
            return;
        }
        var (had, before, _) = Process("crontab", "-l");
        try
        {
            // Through the runner, started in a folder holding a file named crontab: the real command must run, not that file.
            File.WriteAllText(_temp.Sub("crontab"), "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(_temp.Sub("crontab"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _temp.Path, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"), "-Command", $"Register-BackupSchedule -Name {name} -Command 'Get-Backup' -Preset Daily | Out-Null" })
                psi.ArgumentList.Add(a);
            using (var p = System.Diagnostics.Process.Start(psi)!)
            {
                var err = p.StandardError.ReadToEndAsync();
                p.StandardOutput.ReadToEnd();
                await p.WaitForExitAsync();
                Assert.True(p.ExitCode == 0, await err);
            }
            var (_, after, _) = Process("crontab", "-l");
            Assert.Contains($"# BEGIN BackupTools schedule {name}\n", after);
            if (had == 0) Assert.StartsWith(before, after);
            Assert.Equal("30 1 * * *", Run($"Get-BackupSchedule {name} -Target Cron").AssertNoErrors().Single<BackupSchedule>().Cron);
            Run($"Unregister-BackupSchedule {name}").AssertNoErrors();
            var (_, removed, _) = Process("crontab", "-l");
            Assert.DoesNotContain(name, removed);
            if (had == 0) Assert.Equal(before, removed);
        }
        finally
        {
            var (_, now, _) = Process("crontab", "-l");
            if (now.Contains(name) || (had != 0 && now.Trim().Length == 0))
            {
                if (had == 0) RestoreCrontab(before);
                else Process("crontab", "-r");
            }
        }
    }

    private static void RestoreCrontab(string content)
    {
        var psi = new ProcessStartInfo("crontab", "-") { RedirectStandardInput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Write(content);
        p.StandardInput.Close();
        p.WaitForExit();
    }

    [Fact]
    public void The_cron_line_runs_the_command_through_the_runner_with_its_quotes_and_percent_signs_intact()
    {
        var output = _temp.Sub("it's out.txt");
        // Quotes, a dollar, a percent sign and a path with a space: everything sh and cron could mangle.
        Run("Register-BackupSchedule -Name quoting -Command $cmd -Cron '* * * * *' -Target Cron -TargetPath $crontab -LogPath $log",
            ("cmd", $"$v = 'it''s 100% done'; [IO.File]::WriteAllText('{output.Replace("'", "''")}', $v)"), ("log", _temp.Sub("job log.txt"))).AssertNoErrors();
        var line = File.ReadAllLines(Crontab).Single(l => l.StartsWith("* * * * * "));
        // What cron does with the line: the % escapes become %, then sh -c runs it.
        // ... in cron's environment: nothing but HOME, LOGNAME, SHELL and PATH=/usr/bin:/bin.
        var (code, _, err) = Process("/usr/bin/env", "-i", "HOME=" + Environment.GetEnvironmentVariable("HOME"), "LOGNAME=" + Environment.UserName,
            "SHELL=/bin/sh", "PATH=/usr/bin:/bin", "/bin/sh", "-c", line["* * * * * ".Length..].Replace("\\%", "%"));
        Assert.True(code == 0, err + File.ReadAllText(_temp.Sub("job log.txt")));
        Assert.Equal("it's 100% done", File.ReadAllText(output));
    }

    [Fact]
    public void Systemd_units_pass_systemd_analyze_verify_and_carry_the_timer_settings()
    {
        var script = _temp.Sub("weekly full.ps1");
        File.WriteAllText(script, "'ok'\n");
        var schedule = Run("Register-BackupSchedule -Name weekly-full -Script $script -Preset WeeklyFull -Target Systemd -TargetPath $units -LogPath $log",
            ("script", script), ("log", _temp.Sub("weekly.log"))).AssertNoErrors().Single<BackupSchedule>();
        Run("Register-BackupSchedule -Name first-week -Command 'Backup-Cell a /a' -Cron '0 3 1-7 * sun' -Target Systemd -TargetPath $units").AssertNoErrors();

        var service = Path.Combine(Units, "backuptools-weekly-full.service");
        var timer = Path.Combine(Units, "backuptools-weekly-full.timer");
        Assert.Equal([service, timer], schedule.Files);
        var (code, _, err) = Process("systemd-analyze", "verify", "--man=no", service, timer, Path.Combine(Units, "backuptools-first-week.service"), Path.Combine(Units, "backuptools-first-week.timer"));
        Assert.True(code == 0, err);
        var timerText = File.ReadAllText(timer);
        Assert.Contains("\nOnCalendar=Sun *-*-* 03:00:00\n", timerText);
        Assert.Contains("\nPersistent=true\n", timerText);
        Assert.Contains("\nUnit=backuptools-weekly-full.service\n", timerText);
        Assert.Contains("\nWantedBy=timers.target\n", timerText);
        var serviceText = File.ReadAllText(service);
        Assert.Contains("\nType=oneshot\n", serviceText);
        Assert.Contains($"\nExecStart=\"{Path.Combine(RepoPaths.Root, "bt")}\" \"-File\" \"{script}\"\n", serviceText);
        Assert.Contains($"\nStandardOutput=append:{_temp.Sub("weekly.log")}\n", serviceText);
        var both = File.ReadAllText(Path.Combine(Units, "backuptools-first-week.timer"));
        Assert.Contains("OnCalendar=Sun *-*-* 03:00:00\nOnCalendar=*-*-01..07 03:00:00\n", both);

        var listed = Run("Get-BackupSchedule -Target Systemd -TargetPath $units").AssertNoErrors().Objects<BackupSchedule>().ToList();
        Assert.Equal(["first-week", "weekly-full"], listed.Select(s => s.Name));
        Assert.Equal(["0 3 1-7 * sun", "0 3 * * 0"], listed.Select(s => s.Cron));
        Run("Unregister-BackupSchedule weekly-full -Target Systemd -TargetPath $units").AssertNoErrors();
        Assert.False(File.Exists(service) || File.Exists(timer));
        Assert.True(File.Exists(Path.Combine(Units, "backuptools-first-week.timer")));
    }

    [Fact]
    public void Systemd_analyze_verify_does_reject_a_broken_unit()
    {
        // Guards the test above: verify must be able to fail here (no systemd running is not an excuse to pass).
        Directory.CreateDirectory(Units);
        var broken = Path.Combine(Units, "broken.service");
        File.WriteAllText(broken, "[Service]\nType=oneshot\nExecStart=relative/path/tool\n");
        Assert.NotEqual(0, Process("systemd-analyze", "verify", "--man=no", broken).Code);
    }

    public static TheoryData<string, string, string> TaskPresets() => new()
    {
        { "Hourly", "ScheduleByDay", "2020-01-01T00:15:00" },
        { "Daily", "ScheduleByDay", "2020-01-01T01:30:00" },
        { "WeeklyFull", "ScheduleByWeek", "2020-01-01T03:00:00" },
        { "MonthlyArchive", "ScheduleByMonth", "2020-01-01T04:30:00" },
    };

    [Theory]
    [MemberData(nameof(TaskPresets))]
    public void Task_Scheduler_XML_is_valid_and_has_the_right_trigger(string preset, string schedule, string start)
    {
        var result = Run($"Register-BackupSchedule -Name tier -Command 'Backup-Cell crm \"/data/my crm\"' -Preset {preset} -Target TaskScheduler -TargetPath $tasks").AssertNoErrors();
        var path = Assert.Single(result.Single<BackupSchedule>().Files);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0xFF, 0xFE], bytes[..2]); // UTF-16 LE with BOM, as schtasks /XML wants
        var xml = XDocument.Parse(Encoding.Unicode.GetString(bytes[2..]));
        var ns = TaskSchedulerXml.Ns;
        Assert.Equal(ns + "Task", xml.Root!.Name);
        var trigger = xml.Root.Element(ns + "Triggers")!.Elements().Single();
        Assert.Equal("CalendarTrigger", trigger.Name.LocalName);
        Assert.Equal(start, trigger.Element(ns + "StartBoundary")!.Value);
        Assert.NotNull(trigger.Element(ns + schedule));
        switch (preset)
        {
            case "Hourly": Assert.Equal("PT1H", trigger.Element(ns + "Repetition")!.Element(ns + "Interval")!.Value); break;
            case "WeeklyFull": Assert.NotNull(trigger.Element(ns + schedule)!.Element(ns + "DaysOfWeek")!.Element(ns + "Sunday")); break;
            case "MonthlyArchive": Assert.Equal("1", trigger.Element(ns + schedule)!.Element(ns + "DaysOfMonth")!.Element(ns + "Day")!.Value); break;
        }
        Assert.Equal("true", xml.Root.Element(ns + "Settings")!.Element(ns + "StartWhenAvailable")!.Value);
        var exec = xml.Root.Element(ns + "Actions")!.Element(ns + "Exec")!;
        Assert.Equal(Path.Combine(RepoPaths.Root, "bt"), exec.Element(ns + "Command")!.Value);
        Assert.Equal("-Command \"Backup-Cell crm \\\"/data/my crm\\\"\"", exec.Element(ns + "Arguments")!.Value);
        Assert.Equal(preset switch { "Hourly" => "15 * * * *", "Daily" => "30 1 * * *", "WeeklyFull" => "0 3 * * 0", _ => "30 4 1 * *" },
            Run("Get-BackupSchedule -Target TaskScheduler -TargetPath $tasks").AssertNoErrors().Single<BackupSchedule>().Cron);
    }

    [Fact]
    public void Cron_that_Task_Scheduler_cannot_express_is_refused_naming_the_field()
    {
        var error = Run("Register-BackupSchedule -Name odd -Command x -Cron '5,7 2 * * *' -Target TaskScheduler -TargetPath $tasks").AssertError("CronNotRepresentable");
        Assert.Contains("field minute", error.Exception.Message);
        Assert.False(Directory.Exists(Tasks) && Directory.EnumerateFiles(Tasks).Any());
        var every15 = Run("Register-BackupSchedule -Name q -Command x -Cron '*/15 * * * *' -Target TaskScheduler -TargetPath $tasks").AssertNoErrors().Single<BackupSchedule>();
        Assert.Contains("<Interval>PT15M</Interval>", Encoding.Unicode.GetString(File.ReadAllBytes(every15.Files[0])));
        Assert.DoesNotContain("<Principals>", Encoding.Unicode.GetString(File.ReadAllBytes(every15.Files[0]))); // the registering user
        var system = Run("Register-BackupSchedule -Name s -Command x -Preset Daily -Scope System -Target TaskScheduler -TargetPath $tasks").AssertNoErrors().Single<BackupSchedule>();
        var principal = XDocument.Parse(Encoding.Unicode.GetString(File.ReadAllBytes(system.Files[0])[2..])).Descendants(TaskSchedulerXml.Ns + "Principal").Single();
        Assert.Equal("S-1-5-18", principal.Element(TaskSchedulerXml.Ns + "UserId")!.Value);
    }

    [Fact]
    public void WhatIf_prints_what_would_be_written_and_writes_nothing()
    {
        var (code, output, err) = Process("dotnet", Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"), "-Command",
            $"Register-BackupSchedule -Name nightly -Command 'Backup-Cell crm /data/crm' -Preset Daily -Target Systemd -TargetPath '{Units}' -WhatIf");
        Assert.True(code == 0, err);
        Assert.Contains("OnCalendar=*-*-* 01:30:00", output);
        Assert.Contains("ExecStart=", output);
        Assert.False(Directory.Exists(Units));
        File.WriteAllText(Crontab, "x");
        Run("Register-BackupSchedule -Name n -Command y -Preset Daily -Target Cron -TargetPath $crontab -WhatIf").AssertNoErrors();
        Assert.Equal("x", File.ReadAllText(Crontab));
    }

    [Fact]
    public void Bad_input_is_refused_with_the_parameter_named()
    {
        Assert.StartsWith("-Cron: field hour", Run("Register-BackupSchedule -Name a -Command x -Cron '0 25 * * *' -Target Cron -TargetPath $crontab").AssertError("InvalidCronExpression").Exception.Message);
        Assert.StartsWith("-Name:", Run("Register-BackupSchedule -Name '../evil' -Command x -Preset Daily -Target Systemd -TargetPath $units").AssertError("ScheduleNameInvalid").Exception.Message);
        Run("Register-BackupSchedule -Name a -Command x -Target Cron -TargetPath $crontab").AssertError("ScheduleTimingMissing");
        Run("Register-BackupSchedule -Name a -Command x -Cron '0 1 * * *' -Preset Daily -Target Cron -TargetPath $crontab").AssertError("ScheduleTimingConflict");
        Run("Register-BackupSchedule -Name a -Command \"x`ny\" -Preset Daily -Target Cron -TargetPath $crontab").AssertError("ScheduleCommandInvalid");
        Run("Get-BackupSchedule -TargetPath $crontab").AssertError("ScheduleTargetRequired");
        Assert.False(File.Exists(Crontab) || Directory.Exists(Units));
    }

    [Fact]
    public void A_damaged_block_is_never_guessed_at()
    {
        const string damaged = "# BEGIN BackupTools schedule a\n0 1 * * * old\n0 5 * * * /usr/local/bin/mine\n";
        File.WriteAllText(Crontab, damaged);
        Run("Register-BackupSchedule -Name a -Command x -Preset Daily -Target Cron -TargetPath $crontab -Force").AssertError("CrontabBlockDamaged");
        Assert.Equal(damaged, File.ReadAllText(Crontab));
    }

    [Fact]
    public void Jobs_run_through_pwsh_when_it_is_installed_importing_this_module_and_failing_on_any_error()
    {
        var command = ScheduledCommand.Create("/jobs/it's.ps1", null, "/opt/backuptools", "/usr/bin/pwsh");
        Assert.Equal("/usr/bin/pwsh", command.Executable);
        Assert.Equal(["-NoProfile", "-NonInteractive", "-Command",
            "Import-Module '/opt/backuptools/BackupTools.psd1' -ErrorAction Stop; $Error.Clear(); & '/jobs/it''s.ps1'; if ($Error.Count -gt 0) { exit 1 }"], command.Arguments);
        Assert.Contains("Stop; $$Error.Clear();", command.ToSystemd()); // '$' doubled so systemd does not expand it
        var runner = ScheduledCommand.Create(null, "Get-Backup", "/opt/backuptools", null);
        Assert.Null(runner.JobPath);
        // dotnet outside the schedulers' short PATH (cron: /usr/bin:/bin): the job gets a PATH that finds it.
        var home = ScheduledCommand.Create(null, "Get-Backup", "/opt/backuptools", null, "/home/ops/.dotnet/dotnet");
        Assert.Equal("PATH=/home/ops/.dotnet:/usr/local/bin:/usr/bin:/bin /opt/backuptools/bt -Command Get-Backup", home.ToShell());
        var unit = SystemdUnits.Service(new ScheduleDefinition("j", CronExpression.Parse("@daily"), home, null, null));
        Assert.Contains("\nEnvironment=\"PATH=/home/ops/.dotnet:/usr/local/bin:/usr/bin:/bin\"\nExecStart=", unit);
        Assert.Null(ScheduledCommand.Create(null, "x", "/o", null, "/usr/bin/dotnet").JobPath);
        Assert.Equal("/opt/backuptools/bt", runner.Executable);
        Assert.Equal(["-Command", "Get-Backup"], runner.Arguments);
        // PATH lookup finds real executables only.
        Assert.Equal("/bin/sh", ScheduledCommand.FindOnPath("sh", "/nonexistent:/bin"));
        Assert.Null(ScheduledCommand.FindOnPath("no-such-tool-xyz", "/bin:/usr/bin"));
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }
}
