using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// A private (0700) scratch folder for parallel pg_dump/pg_restore, which need a seekable file or folder
/// rather than a stream. Lives under BACKUPTOOLS_TEMP, else the system temp (TMPDIR), and is deleted on
/// Dispose whatever happened. Out-of-space and similar write failures become one clear error naming the place.
/// </summary>
public sealed class PgScratchSpace : IDisposable
{
    public const string LocationVariable = "BACKUPTOOLS_TEMP";

    private PgScratchSpace(string root) => Root = root;

    public string Root { get; }

    /// <summary>The folder scratch spaces are created in.</summary>
    public static string Location
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(LocationVariable);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.GetTempPath() : configured);
        }
    }

    public static PgScratchSpace Create(string purpose)
    {
        var root = Path.Combine(Location, $"backuptools-{purpose}-{Guid.NewGuid():N}");
        try
        {
            PrivateFileSystem.CreateDirectory(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(e);
        }
        return new PgScratchSpace(root);
    }

    /// <summary>Runs a step that writes into the scratch space, turning a write failure into TempSpaceFailed.</summary>
    public void Write(Action step)
    {
        try { step(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Failure(e); }
    }

    /// <summary>A tool that could not write its files into the scratch space fails with this instead of its raw stderr.</summary>
    public static BackupToolsException? ToolFailure(BackupToolsException e) =>
        e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("could not write to file", StringComparison.OrdinalIgnoreCase) ? Failure(e) : null;

    private static BackupToolsException Failure(Exception e) => new("TempSpaceFailed", FailureKind.WriteError,
        $"-Jobs needs scratch space in '{Location}' and writing there failed: {e.Message}",
        $"Free space there (it needs about the uncompressed dump size), or point the {LocationVariable} environment variable at a folder with room; or run without -Jobs.", e);

    public void Dispose()
    {
        // Killed pg_dump/pg_restore workers may still be closing files for a moment: retry briefly.
        for (var attempt = 0; attempt < 20 && System.IO.Directory.Exists(Root); attempt++)
        {
            try { System.IO.Directory.Delete(Root, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Thread.Sleep(100); }
        }
    }
}
