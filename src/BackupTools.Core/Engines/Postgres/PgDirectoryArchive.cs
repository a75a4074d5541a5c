using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Carries a pg_dump directory-format dump (a flat folder: toc.dat plus one file per table's data and large
/// objects) as one tar stream, so it goes through the same compress/encrypt/hash pipeline as a custom dump.
/// toc.dat comes first: a reader can check the table of contents before the data files stream past.
/// </summary>
public static class PgDirectoryArchive
{
    public const string Format = "directory-tar";
    private const string TocFile = "toc.dat";
    private const int EntryMode = 0b110_000_000; // 0600

    public static bool IsDirectoryTar(Repository.BackupManifest manifest) => manifest.EngineInfo?["format"]?.GetValue<string>() == Format;

    public static void Write(string dumpDirectory, Stream output)
    {
        if (System.IO.Directory.GetDirectories(dumpDirectory).Length > 0)
            throw new BackupToolsException("PgDumpDirectoryUnexpected", FailureKind.InvalidData, $"pg_dump's directory output in '{dumpDirectory}' holds sub-folders; a directory-format dump is flat.");
        var files = System.IO.Directory.GetFiles(dumpDirectory).Select(Path.GetFileName).OfType<string>()
            .OrderBy(n => n == TocFile ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal).ToList();
        if (!files.Contains(TocFile))
            throw new BackupToolsException("PgDumpDirectoryIncomplete", FailureKind.InvalidData, $"pg_dump left no {TocFile} in '{dumpDirectory}': the dump is incomplete.");
        var tar = new TarWriter(output);
        foreach (var name in files)
        {
            var path = Path.Combine(dumpDirectory, name);
            tar.WriteFile(name, path, EntryMode, File.GetLastWriteTimeUtc(path));
        }
        tar.Finish();
    }

    /// <summary>Rebuilds the dump folder (which must not exist yet) from the tar; only flat regular files are accepted.</summary>
    public static void Extract(Stream input, string dumpDirectory)
    {
        var extractor = new SafeTreeExtractor(dumpDirectory);
        var reader = new TarReader(input);
        while (reader.Next() is { } entry)
        {
            RequireFlatFile(entry.Header);
            extractor.Apply(entry);
        }
        extractor.Complete();
    }

    /// <summary>
    /// Extracts only toc.dat (enough for `pg_restore --list`) and reads the rest of the tar through, so it is
    /// still checked to its end-of-archive marker. Returns the names of all files the archive holds.
    /// </summary>
    public static IReadOnlySet<string> ExtractToc(Stream input, string dumpDirectory)
    {
        System.IO.Directory.CreateDirectory(dumpDirectory);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var reader = new TarReader(input);
        while (reader.Next() is { } entry)
        {
            RequireFlatFile(entry.Header);
            if (!names.Add(entry.Header.Path))
                throw new BackupIntegrityException("PgDirectoryArchiveMalformed", $"The dump archive holds '{entry.Header.Path}' twice.");
            if (entry.Header.Path == TocFile) entry.ExtractTo(Path.Combine(dumpDirectory, TocFile));
        }
        if (!names.Contains(TocFile))
            throw new BackupIntegrityException("PgDirectoryArchiveMalformed", $"The dump archive has no {TocFile}: it is not a pg_dump directory-format dump.");
        return names;
    }

    private static void RequireFlatFile(TarEntryHeader header)
    {
        if (header.Kind != TarEntryKind.File || header.Path.Contains('/'))
            throw new BackupIntegrityException("PgDirectoryArchiveMalformed", $"The dump archive holds '{header.Path}' ({header.Kind}); a pg_dump directory holds only flat files.");
    }
}
