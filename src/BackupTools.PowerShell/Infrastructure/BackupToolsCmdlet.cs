using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Base of every BackupTools cmdlet: runs core work off the pipeline thread with progress, warnings and
/// ShouldProcess marshalled back, maps core exceptions to ErrorRecords with stable ids, and cancels on Ctrl+C.
/// </summary>
public abstract class BackupToolsCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();
    private static int _nextActivityId = 1;
    private readonly int _activityId = Interlocked.Increment(ref _nextActivityId);
    private bool _progressShown;

    /// <summary>Cancelled by Ctrl+C (StopProcessing); not named Stopping, which is PowerShell's own bool.</summary>
    protected CancellationToken StopRequested => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Runs core work; Write*/ShouldProcess happen on this (the pipeline) thread.</summary>
    protected T RunCore<T>(Func<IOperationObserver, Func<string, string, bool>, CancellationToken, T> work)
    {
        var warnings = new List<string>(); // filled on the pipeline thread: a restore result lists the warnings of its run
        var pump = new PipelineThreadPump
        {
            OnProgress = ShowProgress,
            OnWarning = message => { Log("WARNING", message); WriteWarning(message); warnings.Add(message); },
            OnVerbose = message => { Log("VERBOSE", message); WriteVerbose(message); },
            OnShouldProcess = ShouldProcess,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Log("START", "");
        var ended = false;
        try
        {
            var result = pump.Run((observer, cancel) => work(observer, pump.ShouldProcess, cancel), _stop.Token);
            ended = true;
            if (result is RestoreOutcome restored && restored.Warnings.Count == 0) restored.Warnings = warnings;
            return result;
        }
        finally
        {
            Log(ended ? "END" : "FAILED", $"after {clock.Elapsed.TotalSeconds:0.###} s");
            CompleteProgress();
        }
    }

    /// <summary>The run log (BACKUPTOOLS_LOG_FILE): messages only, never parameter values.</summary>
    private void Log(string level, string message) => RunLog.Write(RunLog.ConfiguredPath, MyInvocation.MyCommand?.Name ?? GetType().Name, level, message);

    protected void ShowProgress(string activity, string status, long done, long? total)
    {
        var record = new ProgressRecord(_activityId, activity, $"{status} ({Bytes.Format(done)}{(total is > 0 ? " of " + Bytes.Format(total.Value) : "")})");
        if (total is > 0) record.PercentComplete = (int)Math.Min(100, done * 100 / total.Value);
        WriteProgress(record);
        _progressShown = true;
    }

    private void CompleteProgress()
    {
        if (!_progressShown) return;
        WriteProgress(new ProgressRecord(_activityId, GetType().Name, "done") { RecordType = ProgressRecordType.Completed });
        _progressShown = false;
    }

    /// <summary>Per-item failure: report it and let the pipeline carry on.</summary>
    protected void WriteFailure(Exception exception, object? target)
    {
        var record = ToErrorRecord(exception, target);
        Log("ERROR", $"{record.FullyQualifiedErrorId.Split(',')[0]}: {exception.Message}");
        WriteError(record);
    }

    protected void ThrowFailure(Exception exception, object? target)
    {
        var record = ToErrorRecord(exception, target);
        Log("ERROR", $"{record.FullyQualifiedErrorId.Split(',')[0]}: {exception.Message}");
        ThrowTerminatingError(record);
    }

    protected static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        if (exception is OperationCanceledException)
            return new ErrorRecord(exception, "OperationStopped", ErrorCategory.OperationStopped, target);
        if (exception is not BackupToolsException known)
            return new ErrorRecord(exception, "UnexpectedFailure", ErrorCategory.NotSpecified, target);
        var record = new ErrorRecord(exception, known.ErrorId, Category(known.Kind), target);
        if (known.RecommendedAction != null)
            record.ErrorDetails = new ErrorDetails(known.Message) { RecommendedAction = known.RecommendedAction };
        return record;
    }

    private static ErrorCategory Category(FailureKind kind) => kind switch
    {
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.IntegrityFailure => ErrorCategory.InvalidData,
        FailureKind.AuthenticationFailure => ErrorCategory.AuthenticationError,
        FailureKind.ResourceBusy => ErrorCategory.ResourceBusy,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.ExternalToolFailure => ErrorCategory.InvalidResult,
        FailureKind.OperationStopped => ErrorCategory.OperationStopped,
        FailureKind.WriteError => ErrorCategory.WriteError,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>Relative paths resolve against PowerShell's current location, not the process's.</summary>
    protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>-Repository value: a path is resolved against the current location; URIs pass through.</summary>
    protected string? ResolveRepository(string? repository) =>
        string.IsNullOrEmpty(repository) || repository.Contains("://", StringComparison.Ordinal) ? repository : ResolvePath(repository);

    /// <summary>
    /// The repository this command works on, with this command's own -StorageCredential (no other command's: each
    /// request carries its reference, nothing is ambient). Cmdlets with two repositories pass each side's credential.
    /// </summary>
    protected RepositoryReference ReferenceTo(string? repository, PSCredential? credential) =>
        new(ResolveRepository(repository), StorageCredentials.From(credential));

    protected RepositoryReference ReferenceTo(string? repository) =>
        ReferenceTo(repository, (this as IStorageCredentialParameter)?.StorageCredential);
}
