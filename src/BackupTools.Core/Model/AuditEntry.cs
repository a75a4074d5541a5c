using System.Text.Json.Serialization;

namespace BackupTools;

/// <summary>
/// One line of the repository's append-only audit log: who did what to which backups, where, when, and
/// how it ended. Operation is one of backup, verify, restore, delete, copy, failover, failback, prune, check.
/// </summary>
public sealed class AuditEntry
{
    [JsonPropertyName("at")] public required DateTimeOffset At { get; init; }
    [JsonPropertyName("operation")] public required string Operation { get; init; }
    /// <summary>Succeeded or Failed (Switching: a failover's traffic switch started).</summary>
    [JsonPropertyName("result")] public required string Result { get; init; }
    [JsonPropertyName("cell")] public string? Cell { get; init; }
    [JsonPropertyName("engine")] public string? Engine { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
    [JsonPropertyName("ids")] public string[] Ids { get; init; } = [];
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("errorId")] public string? ErrorId { get; init; }
    [JsonPropertyName("user")] public required string User { get; init; }
    [JsonPropertyName("host")] public required string Host { get; init; }
    [JsonPropertyName("processId")] public int ProcessId { get; init; }
    [JsonPropertyName("toolVersion")] public required string ToolVersion { get; init; }
    [JsonIgnore] public string Repository { get; set; } = "";
    [JsonIgnore] public bool Succeeded => Result == AuditResults.Succeeded;

    public override string ToString() => $"{At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z {Operation} {Result} {Cell} {string.Join(",", Ids)}";
}

public static class AuditResults
{
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    /// <summary>A failover's traffic switch has started; a later entry says how it ended (none: the runner died).</summary>
    public const string Switching = "Switching";
}

/// <summary>The failover marker's state field (failover/active.json).</summary>
public static class FailoverMarkerStates
{
    public const string Switching = "switching";
    public const string Active = "active";
    public const string SwitchFailed = "switch-failed";
}
