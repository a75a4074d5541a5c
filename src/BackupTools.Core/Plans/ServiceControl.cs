using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Plans;

/// <summary>Runs a plan source's stop:/start: commands; without them every call does nothing (and the actions are null).</summary>
public sealed class ServiceControl(PlanServiceControl? control, string what, IReadOnlyDictionary<string, string> environment, CancellationToken cancel)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public Action? StopAction => control?.Stop is null ? null : Stop;
    public Action? StartAction => control?.Start is null ? null : Start;

    public void Stop() => Run("stop", control?.Stop);
    public void Start() => Run("start", control?.Start);

    /// <summary>After a restore that failed before it changed anything: start the untouched service again; a failing start is a warning (the restore's error is the one reported).</summary>
    public void StartUntouched(Operations.IOperationObserver observer)
    {
        try { Start(); }
        catch (Exception e) when (e is not OperationCanceledException) { observer.Warning($"{what}: {e.Message}"); }
    }

    private void Run(string verb, string? command)
    {
        if (command is null) return;
        var result = ShellCommand.Run(command, Limit, cancel, environment);
        if (result.TimedOut || result.ExitCode != 0)
            throw new BackupToolsException(verb == "stop" ? "PlanSourceStopFailed" : "PlanSourceStartFailed", FailureKind.ExternalToolFailure,
                $"The {verb} command of {what} ('{command}') {(result.TimedOut ? $"did not finish within {Limit.TotalMinutes:0} min" : $"failed (exit {result.ExitCode}): {result.Output.Trim().Split('\n').LastOrDefault()}")}.",
                $"Fix the {verb}: command in the plan, or the service it controls.");
    }
}
