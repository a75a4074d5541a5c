namespace BackupTools.Core.Operations;

/// <summary>
/// How the core reports while it works, without knowing about PowerShell. The cmdlet layer marshals
/// these calls onto the pipeline thread (WriteProgress/WriteWarning/WriteVerbose).
/// </summary>
public interface IOperationObserver
{
    void Progress(string activity, string status, long bytesDone, long? bytesTotal);
    void Warning(string message);
    void Verbose(string message);
}

public sealed class NullObserver : IOperationObserver
{
    public static readonly NullObserver Instance = new();
    public void Progress(string activity, string status, long bytesDone, long? bytesTotal) { }
    public void Warning(string message) { }
    public void Verbose(string message) { }
}

/// <summary>Passes everything on and keeps the warnings, for results that list them (RestoreOutcome.Warnings).</summary>
public sealed class WarningRecorder(IOperationObserver inner) : IOperationObserver
{
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Warnings { get { lock (_warnings) return [.. _warnings]; } }

    public void Progress(string activity, string status, long bytesDone, long? bytesTotal) => inner.Progress(activity, status, bytesDone, bytesTotal);

    public void Warning(string message)
    {
        lock (_warnings) _warnings.Add(message);
        inner.Warning(message);
    }

    public void Verbose(string message) => inner.Verbose(message);
}
