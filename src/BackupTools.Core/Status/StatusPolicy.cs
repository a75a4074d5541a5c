using BackupTools.Core.Errors;

namespace BackupTools.Core.Status;

/// <summary>
/// What counts as unhealthy. MaxAge: newest backup older than this (default 26 h: a daily job plus slack).
/// MinSizeRatio: newest backup smaller than this fraction of the previous backup of the same kind (default
/// 0.5 — a dump that halves overnight usually means lost data or a broken job). MaxVerifyAge: optional,
/// the newest passed verification older than this. RequiredTargets: repositories that must hold a copy of
/// the newest backup (3-2-1).
/// </summary>
public sealed record StatusPolicy(
    TimeSpan? MaxAge = null,
    double MinSizeRatio = 0.5,
    TimeSpan? MaxVerifyAge = null,
    IReadOnlyList<string>? RequiredTargets = null)
{
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromHours(26);

    public TimeSpan EffectiveMaxAge => MaxAge ?? DefaultMaxAge;

    /// <summary>Backups that still need a key older than this are a warning: rotate with Update-BackupKey (null: not checked).</summary>
    public TimeSpan? KeyRotationPeriod { get; init; }

    public void Validate()
    {
        if (MaxAge is { } age && age <= TimeSpan.Zero)
            throw new BackupInputException("StatusPolicyInvalid", "MaxAge", $"{age} is not a positive duration.", "Give a duration such as 26h or 7d.");
        if (MaxVerifyAge is { } verify && verify <= TimeSpan.Zero)
            throw new BackupInputException("StatusPolicyInvalid", "MaxVerifyAge", $"{verify} is not a positive duration.", "Give a duration such as 8d.");
        if (MaxAge is { } maxAge) Durations.CheckRange(maxAge, "MaxAge");
        if (KeyRotationPeriod is { } rotation && rotation <= TimeSpan.Zero)
            throw new BackupInputException("StatusPolicyInvalid", "KeyRotationPeriod", $"{rotation} is not a positive duration.", "Give a duration such as 90d.");
        if (MaxVerifyAge is { } maxVerifyAge) Durations.CheckRange(maxVerifyAge, "MaxVerifyAge");
        if (MinSizeRatio is < 0 or > 1 || double.IsNaN(MinSizeRatio))
            throw new BackupInputException("StatusPolicyInvalid", "MinSizeRatio", $"{MinSizeRatio} is not between 0 and 1.", "Give a fraction such as 0.5 (0 turns the check off).");
    }
}
