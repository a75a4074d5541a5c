namespace BackupTools.Core.Plans;

/// <summary>One thing wrong with a plan: where (file, line, column, key path), what, and what is allowed.</summary>
public sealed record PlanProblem(string File, int Line, int Column, string Key, string Message, string? Allowed)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Key}: {Message}{(Allowed is null ? "" : $" Allowed: {Allowed}.")}";
}
