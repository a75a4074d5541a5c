using System.Text;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>A PostgreSQL dump must be an archive pg_restore can read: `pg_restore --list` over the decrypted stream.</summary>
internal sealed class PostgresArchiveValidator : IContentValidator
{
    public string Name => "pg_restore-list";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var tools = PgTools.Locate(null, 0);
        if (PgDirectoryArchive.IsDirectoryTar(manifest)) return ValidateDirectory(tools, raw);
        var entries = List(tools, ["--list"], raw);
        return $"pg_restore lists {entries.Count} entries";
    }

    /// <summary>
    /// A directory-format dump carried as a tar: pg_restore lists its toc.dat (unpacked alone into a private
    /// scratch folder), and every table's data file the table of contents names must be in the tar.
    /// </summary>
    private static string ValidateDirectory(PgTools tools, Stream raw)
    {
        using var scratch = PgScratchSpace.Create("pgverify");
        var folder = Path.Combine(scratch.Root, "dump");
        IReadOnlySet<string> files = new HashSet<string>();
        scratch.Write(() => files = PgDirectoryArchive.ExtractToc(raw, folder));
        var entries = List(tools, ["--list", "--format=directory", folder], null);
        // A TABLE DATA line reads "<dumpId>; <tableoid> <oid> TABLE DATA <schema> <table> <owner>"; its data is <dumpId>.dat.
        var missing = entries.Where(l => l.Contains(" TABLE DATA ", StringComparison.Ordinal))
            .Select(l => l[..l.IndexOf(';')] + ".dat").Where(f => !files.Contains(f)).ToList();
        if (missing.Count > 0)
            throw new BackupIntegrityException("PostgresArchiveIncomplete", $"The directory-format dump lacks the data files {string.Join(", ", missing.Take(5))} its table of contents names.");
        return $"pg_restore lists {entries.Count} entries; all {entries.Count(l => l.Contains(" TABLE DATA ", StringComparison.Ordinal))} table data files present";
    }

    private static List<string> List(PgTools tools, List<string> arguments, Stream? input)
    {
        using var listing = new MemoryStream();
        var result = ExternalTool.Run(tools.PgRestore, arguments, new Dictionary<string, string>(), listing, input, CancellationToken.None, throwOnFailure: false);
        if (result.ExitCode != 0)
            throw new BackupIntegrityException("PostgresArchiveUnreadable", $"pg_restore cannot read the archive: {result.Stderr}");
        return Encoding.UTF8.GetString(listing.ToArray()).Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToList();
    }
}

/// <summary>pg_dumpall --globals-only output is SQL text that ends with its completion marker.</summary>
internal sealed class PostgresGlobalsValidator : IContentValidator
{
    public string Name => "globals-sql";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        using var reader = new StreamReader(raw, Encoding.UTF8, false, 1 << 16, leaveOpen: true);
        var text = reader.ReadToEnd();
        if (!text.Contains("PostgreSQL database cluster dump complete", StringComparison.Ordinal))
            throw new BackupIntegrityException("PostgresGlobalsIncomplete", "The globals dump lacks pg_dumpall's completion marker: it was cut short.");
        return $"{text.Split('\n').Count(l => l.StartsWith("CREATE ROLE", StringComparison.Ordinal))} role(s)";
    }
}
