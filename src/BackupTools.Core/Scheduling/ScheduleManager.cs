using System.ComponentModel;
using System.Text;
using System.Xml.Linq;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// Installs, lists and removes schedules for cron, systemd and Task Scheduler. Every write goes through
/// shouldProcess with the exact text that would be written, so -WhatIf shows it and changes nothing.
/// </summary>
public sealed class ScheduleManager(IOperationObserver observer, Func<string, string, bool> shouldProcess)
{
    public BackupSchedule? Register(ScheduleDefinition schedule, ScheduleLocation location, bool force)
    {
        if (!force && List(location).Any(s => s.Name.Equals(schedule.Name, StringComparison.OrdinalIgnoreCase)))
            throw new BackupInputException("ScheduleExists", "Name", $"a {location.Target} schedule named '{schedule.Name}' already exists.",
                "Add -Force to replace it, or Unregister-BackupSchedule it first.");
        return location.Target switch
        {
            ScheduleTarget.Cron => RegisterCron(schedule, location),
            ScheduleTarget.Systemd => RegisterSystemd(schedule, location),
            _ => RegisterTask(schedule, location),
        };
    }

    public IReadOnlyList<BackupSchedule> List(ScheduleLocation location) => location.Target switch
    {
        ScheduleTarget.Cron => CrontabBlocks.List(location.Crontab().Read()).Select(e => Describe(location, e.Name, e.Cron, e.Command, e.Description, [location.Crontab().Location])).ToList(),
        ScheduleTarget.Systemd => ListSystemd(location),
        _ => ListTasks(location),
    };

    /// <summary>Removes the schedule; null when there was none (or -WhatIf).</summary>
    public BackupSchedule? Unregister(string name, ScheduleLocation location)
    {
        var existing = List(location).FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new BackupToolsException("ScheduleNotFound", FailureKind.NotFound, $"No {location.Target} schedule named '{name}' in {Where(location)}.",
                "Get-BackupSchedule lists the schedules that exist.");
        if (!shouldProcess(string.Join(", ", existing.Files), $"Remove {location.Target} schedule '{existing.Name}'")) return null;
        switch (location.Target)
        {
            case ScheduleTarget.Cron:
                var crontab = location.Crontab();
                crontab.Write(CrontabBlocks.Remove(crontab.Read(), existing.Name)!);
                break;
            case ScheduleTarget.Systemd:
                if (location.IsDefault) Systemctl(location, "disable", "--now", SystemdUnits.TimerName(existing.Name));
                foreach (var file in existing.Files) File.Delete(file);
                if (location.IsDefault) Systemctl(location, "daemon-reload");
                break;
            default:
                if (location.IsDefault && OperatingSystem.IsWindows()) Schtasks("/Delete", "/TN", TaskPath(existing.Name), "/F");
                foreach (var file in existing.Files) File.Delete(file);
                break;
        }
        return existing;
    }

    private BackupSchedule? RegisterCron(ScheduleDefinition schedule, ScheduleLocation location)
    {
        var crontab = location.Crontab();
        var block = CrontabBlocks.Render(schedule);
        var updated = CrontabBlocks.Upsert(crontab.Read(), schedule.Name, block);
        if (!shouldProcess(crontab.Location, "Write cron schedule:\n" + block)) return null;
        crontab.Write(updated);
        return Describe(location, schedule, [crontab.Location]);
    }

    private BackupSchedule? RegisterSystemd(ScheduleDefinition schedule, ScheduleLocation location)
    {
        var folder = location.Directory();
        var service = Path.Combine(folder, SystemdUnits.ServiceName(schedule.Name));
        var timer = Path.Combine(folder, SystemdUnits.TimerName(schedule.Name));
        var serviceText = SystemdUnits.Service(schedule);
        var timerText = SystemdUnits.Timer(schedule);
        if (!shouldProcess(folder, $"Write {service}:\n{serviceText}\nWrite {timer}:\n{timerText}")) return null;
        AtomicFile.Write(service, serviceText, shared: true);
        AtomicFile.Write(timer, timerText, shared: true);
        if (location.IsDefault)
        {
            Systemctl(location, "daemon-reload");
            Systemctl(location, "enable", "--now", SystemdUnits.TimerName(schedule.Name));
        }
        else observer.Verbose($"Units written to {folder}; activate them with systemctl{(location.Scope == ScheduleScope.User ? " --user" : "")} enable --now {SystemdUnits.TimerName(schedule.Name)} once they are in a unit folder.");
        return Describe(location, schedule, [service, timer]);
    }

    private BackupSchedule? RegisterTask(ScheduleDefinition schedule, ScheduleLocation location)
    {
        var path = Path.Combine(location.Directory(), TaskSchedulerXml.FileName(schedule.Name));
        var xml = TaskSchedulerXml.Build(schedule, schedule.Command.ToWindowsArguments(), location.Scope == ScheduleScope.System);
        var text = xml.Declaration + "\n" + xml.Root;
        if (!shouldProcess(path, $"Write Task Scheduler definition:\n{text}")) return null;
        AtomicFile.Write(path, text, Encoding.Unicode, shared: true); // schtasks expects UTF-16 XML
        if (location.IsDefault && OperatingSystem.IsWindows()) Schtasks("/Create", "/TN", TaskPath(schedule.Name), "/XML", path, "/F");
        return Describe(location, schedule, [path]);
    }

    private List<BackupSchedule> ListSystemd(ScheduleLocation location)
    {
        var folder = location.Directory();
        if (!Directory.Exists(folder)) return [];
        var found = new List<BackupSchedule>();
        foreach (var timer in Directory.EnumerateFiles(folder, SystemdUnits.Prefix + "*.timer").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(timer)[SystemdUnits.Prefix.Length..^".timer".Length];
            var service = Path.Combine(folder, SystemdUnits.ServiceName(name));
            var (cron, exec, description) = SystemdUnits.Read(File.ReadAllText(timer), File.Exists(service) ? File.ReadAllText(service) : null);
            if (cron is null) continue; // not one of ours
            found.Add(Describe(location, name, cron, exec ?? "", description, File.Exists(service) ? [service, timer] : [timer]));
        }
        return found;
    }

    private List<BackupSchedule> ListTasks(ScheduleLocation location)
    {
        var folder = location.Directory();
        if (!Directory.Exists(folder)) return [];
        var found = new List<BackupSchedule>();
        foreach (var file in Directory.EnumerateFiles(folder, "backuptools-*.xml").Order(StringComparer.Ordinal))
        {
            var (cron, command, arguments, description) = TaskSchedulerXml.Read(XDocument.Load(file));
            if (cron is null) continue;
            var name = Path.GetFileName(file)["backuptools-".Length..^".xml".Length];
            found.Add(Describe(location, name, cron, $"{command} {arguments}", description, [file]));
        }
        return found;
    }

    private static BackupSchedule Describe(ScheduleLocation location, ScheduleDefinition schedule, string[] files) =>
        Describe(location, schedule.Name, schedule.Cron.Text, location.Target switch
        {
            ScheduleTarget.Cron => schedule.Command.ToShell(),
            ScheduleTarget.Systemd => schedule.Command.ToSystemd(),
            _ => schedule.Command.Executable + " " + schedule.Command.ToWindowsArguments(),
        }, schedule.Summary, files);

    private static BackupSchedule Describe(ScheduleLocation location, string name, string cronText, string command, string? description, string[] files)
    {
        CronExpression? cron = null;
        try { cron = CronExpression.Parse(cronText); } catch (BackupInputException) { } // hand-edited; still listed
        return new BackupSchedule
        {
            Name = name, Target = location.Target, Scope = location.Scope, Cron = cronText,
            OnCalendar = cron is null ? [] : OnCalendar.From(cron).ToArray(), Command = command, Description = description,
            NextRun = cron?.Next(DateTime.Now), Files = files, TargetPath = location.TargetPath,
        };
    }

    private static string Where(ScheduleLocation location) =>
        location.Target == ScheduleTarget.Cron ? location.Crontab().Location : location.Directory();

    private static string TaskPath(string name) => @"\BackupTools\" + name;

    /// <summary>Activation is best effort: the files are the schedule; a host without a running systemd gets a warning with the command to run.</summary>
    private void Systemctl(ScheduleLocation location, params string[] args)
    {
        var all = location.Scope == ScheduleScope.User ? new[] { "--user" }.Concat(args).ToArray() : args;
        RunTool("systemctl", all);
    }

    private void Schtasks(params string[] args) => RunTool("schtasks", args);

    private void RunTool(string tool, string[] args)
    {
        var line = tool + " " + string.Join(' ', args);
        // Resolved on PATH ourselves: Process.Start would try the current directory first.
        var executable = ScheduledCommand.FindOnPath(tool);
        if (executable is null)
        {
            observer.Warning($"{tool} is not available here; the files are written. Run '{line}' where it is.");
            return;
        }
        try
        {
            var result = ExternalTool.Run(executable, args, new Dictionary<string, string>(), null, null, CancellationToken.None, throwOnFailure: false);
            if (result.ExitCode != 0) observer.Warning($"'{line}' failed (exit {result.ExitCode}): {result.Stderr} — run it yourself once the scheduler is available.");
        }
        catch (Win32Exception)
        {
            observer.Warning($"{tool} is not available here; the files are written. Run '{line}' where it is.");
        }
    }
}
