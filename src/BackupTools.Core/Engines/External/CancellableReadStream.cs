using BackupTools.Core.Errors;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// A read-only view of a stream that stops when cancelled (plain CopyTo never checks a token) and reports
/// its own read failures as BackupObjectReadFailed, so a caller writing the data to local disk can tell a
/// failing source from a full disk.
/// </summary>
public sealed class CancellableReadStream(Stream inner, CancellationToken cancel) : ReadOnlyForwardStream
{
    public override int Read(Span<byte> buffer)
    {
        cancel.ThrowIfCancellationRequested();
        try { return inner.Read(buffer); }
        catch (IOException e)
        {
            throw new BackupToolsException("BackupObjectReadFailed", FailureKind.ResourceBusy, $"Reading the backup's data failed: {e.Message}",
                "Check that the repository is reachable and run again.", e);
        }
    }
}
