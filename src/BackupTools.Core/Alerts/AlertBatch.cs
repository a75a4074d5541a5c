using System.Text;

namespace BackupTools.Core.Alerts;

/// <summary>All events of one run, sent as one message per channel.</summary>
public sealed class AlertBatch
{
    public AlertBatch(IEnumerable<AlertEvent> events, string? host = null)
    {
        Events = AlertEvents.Deduplicate(events);
        Host = host ?? Environment.MachineName;
    }

    public IReadOnlyList<AlertEvent> Events { get; }
    public string Host { get; }
    public int FailedCount => Events.Count(e => e.IsFailure);
    public int WarningCount => Events.Count(e => e.Outcome == AlertOutcome.Warning);

    /// <summary>"BackupTools on vm: 2 failed (crm, wiki), 3 ok": what failed, not only how many.</summary>
    public string Title
    {
        get
        {
            var ok = Events.Count - FailedCount - WarningCount;
            if (FailedCount == 0)
                return WarningCount > 0 ? $"BackupTools on {Host}: {WarningCount} warning(s) ({Subjects(AlertOutcome.Warning)})" : $"BackupTools on {Host}: all {Events.Count} ok";
            return $"BackupTools on {Host}: {FailedCount} failed ({Subjects(AlertOutcome.Failed)})"
                   + (WarningCount > 0 ? $", {WarningCount} warning(s)" : "") + (ok > 0 ? $", {ok} ok" : "");
        }
    }

    /// <summary>
    /// The line a phone shows in the notification (Slack's text, DingTalk's title, WeCom's first line): the title and
    /// the first failure's step and error, at most 200 characters.
    /// </summary>
    public string Headline
    {
        get
        {
            var first = Events.FirstOrDefault(e => e.IsFailure) ?? Events.FirstOrDefault(e => e.Outcome == AlertOutcome.Warning);
            if (first is null) return Title;
            var what = FirstLine(first.Error ?? first.Summary);
            var line = $"{Title} — {(first.Step is null ? "" : first.Step + ": ")}{what}";
            return line.Length <= 200 ? line : line[..199] + "…";
        }
    }

    private string Subjects(AlertOutcome outcome)
    {
        var names = Events.Where(e => e.Outcome == outcome).Select(e => e.Cell ?? e.Source ?? e.Step ?? e.Kind).Distinct().ToList();
        return string.Join(", ", names.Take(3)) + (names.Count > 3 ? $" +{names.Count - 3} more" : "");
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>Failures first, each with step, source, error id and the error itself.</summary>
    public string Format(AlertTextStyle style)
    {
        var text = new StringBuilder();
        foreach (var e in Events.OrderBy(e => e.Outcome switch { AlertOutcome.Failed => 0, AlertOutcome.Warning => 1, _ => 2 }))
        {
            var mark = e.Outcome switch { AlertOutcome.Failed => "FAILED", AlertOutcome.Warning => "WARNING", _ => "ok" };
            text.Append(style switch
            {
                AlertTextStyle.Markdown => $"- **{mark}** ",
                AlertTextStyle.Slack => $"• *{mark}* ",
                _ => $"- {mark} ",
            });
            text.Append(e.Summary);
            if (e.IsFailure || e.Outcome == AlertOutcome.Warning)
            {
                var parts = new List<string>();
                if (e.Step != null) parts.Add("step: " + e.Step);
                if (e.Source != null) parts.Add("source: " + e.Source);
                if (e.ErrorId != null) parts.Add("error id: " + e.ErrorId);
                if (parts.Count > 0) text.Append(" (").Append(string.Join(", ", parts)).Append(')');
                if (e.Error != null) text.Append(style == AlertTextStyle.Plain ? "\n    " : "\n  ").Append(e.Error);
                if (e.RecommendedAction != null) text.Append(style == AlertTextStyle.Plain ? "\n    what to do: " : "\n  what to do: ").Append(e.RecommendedAction);
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}

public enum AlertTextStyle { Plain, Markdown, Slack }
