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
