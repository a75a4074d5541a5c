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

    public string Title => FailedCount > 0
        ? $"BackupTools on {Host}: {FailedCount} failed, {Events.Count - FailedCount} other"
        : WarningCount > 0 ? $"BackupTools on {Host}: {WarningCount} warning(s)" : $"BackupTools on {Host}: all {Events.Count} ok";

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
