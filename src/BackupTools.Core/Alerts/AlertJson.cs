using System.Text.Json.Nodes;

namespace BackupTools.Core.Alerts;

internal static class AlertJson
{
    public static JsonObject Event(AlertEvent e)
    {
        var json = new JsonObject
        {
            ["time"] = e.Time.ToUniversalTime().ToString("O"),
            ["outcome"] = e.Outcome.ToString(),
            ["kind"] = e.Kind,
            ["summary"] = e.Summary,
        };
        void Put(string name, string? value) { if (value != null) json[name] = value; }
        Put("step", e.Step);
        Put("source", e.Source);
        Put("cell", e.Cell);
        Put("backupId", e.BackupId);
        Put("errorId", e.ErrorId);
        Put("error", e.Error);
        Put("recommendedAction", e.RecommendedAction);
        return json;
    }
}
