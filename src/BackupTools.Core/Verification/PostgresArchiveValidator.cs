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
        using var listing = new MemoryStream();
        var result = ExternalTool.Run(tools.PgRestore, ["--list"], new Dictionary<string, string>(), listing, raw, CancellationToken.None, throwOnFailure: false);
        if (result.ExitCode != 0)
            throw new BackupIntegrityException("PostgresArchiveUnreadable", $"pg_restore cannot read the archive: {result.Stderr}");
        var entries = Encoding.UTF8.GetString(listing.ToArray()).Split('\n').Count(l => l.Length > 0 && !l.StartsWith(';'));
        return $"pg_restore lists {entries} entries";
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
