using System.Text.RegularExpressions;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>A job to install: its name (unit/file/marker name), when, what, and where its output goes.</summary>
public sealed record ScheduleDefinition(string Name, CronExpression Cron, ScheduledCommand Command, string? Description, string? LogPath)
{
    private static readonly Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant);

    public static string ValidateName(string? name)
    {
        if (name is null || !ValidName.IsMatch(name))
            throw new BackupInputException("ScheduleNameInvalid", "Name", $"'{name}' is not a valid schedule name.",
                "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes a file and unit name).");
        return name;
    }

    public string Summary => Description is { Length: > 0 } d ? d : $"BackupTools schedule {Name}";
}
