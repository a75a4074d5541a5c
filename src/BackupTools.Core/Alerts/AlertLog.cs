using System.Text;
using System.Text.Json.Nodes;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Alerts;

/// <summary>
/// The local record of every alert, one JSON object per event per line, appended to a private (0600) file.
/// Written on every run whatever the channels did, so a failure is on disk even when every channel is down; each
/// line names every channel's outcome: {"Webhook#1": {"kind","target","outcome":"delivered"|"failed","tries","error"}}.
/// </summary>
public static class AlertLog
{
    /// <summary>BACKUPTOOLS_ALERT_LOG, else the per-user state folder: $XDG_STATE_HOME or ~/.local/state
    /// (%LOCALAPPDATA% on Windows) /backuptools/alerts.jsonl.</summary>
    public static string DefaultPath()
    {
        var configured = Environment.GetEnvironmentVariable("BACKUPTOOLS_ALERT_LOG");
        if (!string.IsNullOrEmpty(configured)) return configured;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "BackupTools", "alerts.jsonl");
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(state, "backuptools", "alerts.jsonl");
    }

    public static void Append(string path, AlertBatch batch, IReadOnlyList<AlertResult> channels)
    {
        // Keyed by the channel's unique name: two hooks on one host each keep their own outcome.
        var delivery = new JsonObject();
        foreach (var c in channels)
        {
            var outcome = new JsonObject { ["kind"] = c.Channel, ["target"] = c.Target, ["outcome"] = c.Sent ? "delivered" : "failed", ["tries"] = c.Tries };
            if (c.Error != null) outcome["error"] = c.Error;
            delivery[c.Name] = outcome;
        }
        var text = new StringBuilder();
        foreach (var e in batch.Events)
        {
            var line = AlertJson.Event(e);
            line["host"] = batch.Host;
            line["channels"] = delivery.DeepClone();
            text.Append(line.ToJsonString()).Append('\n');
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder != null) PrivateFileSystem.CreateDirectory(folder);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        // Another run may be appending right now (the file is opened exclusively): retry briefly.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var file = PrivateFileSystem.CreateFile(path, FileMode.Append);
                file.Write(bytes);
                file.Flush(flushToDisk: true);
                return;
            }
            catch (IOException) when (attempt < 20 && File.Exists(path))
            {
                Thread.Sleep(50);
            }
        }
    }
}
