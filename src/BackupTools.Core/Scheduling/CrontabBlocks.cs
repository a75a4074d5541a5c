using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// Edits crontab text: each schedule is a block between "# BEGIN BackupTools schedule NAME" and
/// "# END BackupTools schedule NAME"; everything else in the crontab is left byte for byte.
/// </summary>
public static class CrontabBlocks
{
    private const string Begin = "# BEGIN BackupTools schedule ";
    private const string End = "# END BackupTools schedule ";

    public sealed record Entry(string Name, string Cron, string Command, string? Description);

    public static string Render(ScheduleDefinition schedule)
    {
        var command = schedule.Command.ToShell();
        if (schedule.LogPath != null) command += " >> " + ScheduledCommand.ShellQuote(schedule.LogPath) + " 2>&1";
        // cron turns an unescaped % into a newline, even inside quotes.
        command = command.Replace("%", "\\%");
        var text = new StringBuilder().Append(Begin).Append(schedule.Name).Append('\n');
        text.Append("# ").Append(schedule.Summary.Replace('\n', ' ')).Append('\n');
        text.Append(schedule.Cron.Text).Append(' ').Append(command).Append('\n');
        return text.Append(End).Append(schedule.Name).Append('\n').ToString();
    }

    /// <summary>The crontab with NAME's block replaced (in place) or appended.</summary>
    public static string Upsert(string crontab, string name, string block)
    {
        var (before, existing, after) = Split(crontab, name);
        if (existing is null)
        {
            var head = crontab.Length == 0 || crontab.EndsWith('\n') ? crontab : crontab + "\n";
            return head + block;
        }
        return before + block + after;
    }

    /// <summary>The crontab without NAME's block; null when there was none.</summary>
    public static string? Remove(string crontab, string name)
    {
        var (before, existing, after) = Split(crontab, name);
        return existing is null ? null : before + after;
    }

    public static IReadOnlyList<Entry> List(string crontab)
    {
        var entries = new List<Entry>();
        string? name = null, description = null, line = null;
        foreach (var raw in crontab.Split('\n'))
        {
            if (raw.StartsWith(Begin, StringComparison.Ordinal)) { name = raw[Begin.Length..].Trim(); description = null; line = null; }
            else if (name != null && raw.StartsWith(End, StringComparison.Ordinal))
            {
                if (line != null) entries.Add(Parse(name, line, description));
                name = null;
            }
            else if (name != null && raw.StartsWith("# ", StringComparison.Ordinal)) description = raw[2..];
            else if (name != null && raw.Trim().Length > 0) line = raw;
        }
        return entries;
    }

    private static Entry Parse(string name, string line, string? description)
    {
        var fieldCount = line.StartsWith('@') ? 1 : 5;
        var parts = line.Split(' ', fieldCount + 1, StringSplitOptions.RemoveEmptyEntries);
        var cron = string.Join(' ', parts.Take(fieldCount));
        var command = parts.Length > fieldCount ? parts[fieldCount].Replace("\\%", "%") : "";
        return new Entry(name, cron, command, description);
    }

    private static (string Before, string? Block, string After) Split(string crontab, string name)
    {
        var begin = crontab.IndexOf(Begin + name + "\n", StringComparison.Ordinal);
        while (begin > 0 && crontab[begin - 1] != '\n') begin = crontab.IndexOf(Begin + name + "\n", begin + 1, StringComparison.Ordinal);
        if (begin < 0) return (crontab, null, "");
        var endMarker = End + name + "\n";
        var end = crontab.IndexOf(endMarker, begin, StringComparison.Ordinal);
        if (end < 0)
        {
            // A hand-edited block without its END line: guessing where it ends could delete the user's own entries.
            throw new BackupToolsException("CrontabBlockDamaged", FailureKind.InvalidData,
                $"The crontab has '{Begin}{name}' but no matching END line; nothing was changed.", "Fix or remove that block by hand (crontab -e), then run again.");
        }
        var stop = end + endMarker.Length;
        return (crontab[..begin], crontab[begin..stop], crontab[stop..]);
    }
}
