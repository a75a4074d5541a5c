namespace BackupTools;

/// <summary>
/// Invoke-BackupRetention's verdict on one backup: kept or not, and every rule that kept it
/// ("last 3", "daily 2026-11-20", "within 7.00:00:00", "base of kept incremental …", "newest verified backup",
/// "newest backup of cell"). Deleted says whether this run actually removed it (false under -WhatIf).
/// </summary>
public sealed record RetentionDecision
{
    public required BackupRecord Record { get; init; }
    public string Id => Record.Id;
    public string Cell => Record.Cell;
    public BackupKind Kind => Record.Kind;
    public DateTimeOffset StartedAt => Record.StartedAt;
    public required bool Keep { get; init; }
    public required string[] Reasons { get; init; }
    public bool Deleted { get; init; }
    public string Repository => Record.Repository;

    public override string ToString() => $"{Id} {(Keep ? "keep" : "delete")}{(Reasons.Length > 0 ? ": " + string.Join("; ", Reasons) : "")}";
}
