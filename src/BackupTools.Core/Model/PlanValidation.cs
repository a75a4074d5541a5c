namespace BackupTools;

/// <summary>Test-BackupPlan's verdict: valid or not, every problem (file:line:column, key, what is allowed), and what the plan declares.</summary>
public sealed class PlanValidation
{
    public required string Plan { get; init; }
    public required bool Valid { get; init; }
    public required string[] Problems { get; init; }
    public required string[] Cells { get; init; }
    public required int Sources { get; init; }
    public required string[] Targets { get; init; }
    public required string[] Sites { get; init; }

    public override string ToString() => Valid ? $"{Plan}: valid ({Cells.Length} cells, {Sources} sources)" : $"{Plan}: {Problems.Length} problem(s)";
}
