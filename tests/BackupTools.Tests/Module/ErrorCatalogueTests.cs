using System.Text.RegularExpressions;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Module;

/// <summary>docs/errors.md lists every error id the source can emit, and nothing else; no id is built from data.</summary>
public sealed class ErrorCatalogueTests
{
    private static readonly string Catalogue = Path.Combine(RepoPaths.Root, "docs", "errors.md");
    private static readonly (List<ErrorIdScanner.Use> Uses, List<ErrorIdScanner.Interpolated> Interpolated) Scanned =
        ErrorIdScanner.Scan(Path.Combine(RepoPaths.Root, "src"));

    private static HashSet<string> Catalogued() =>
        File.ReadLines(Catalogue).Select(l => Regex.Match(l, @"^\|\s*`(\w+)`\s*\|")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();

    [Fact]
    public void Every_error_id_in_the_source_is_in_the_catalogue()
    {
        var catalogued = Catalogued();
        var missing = Scanned.Uses.Where(u => !catalogued.Contains(u.Id)).GroupBy(u => u.Id)
            .Select(g => $"{g.Key} (used at {g.First().File}:{g.First().Line}): add a row \"| `{g.Key}` | what it means | what to do |\" to docs/errors.md, in the table of its area")
            .ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} error id(s) missing from docs/errors.md:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Every_catalogued_id_is_used_by_the_source()
    {
        var used = Scanned.Uses.Select(u => u.Id).ToHashSet();
        var unused = Catalogued().Where(id => !used.Contains(id)).Order().ToList();
        Assert.True(unused.Count == 0, "docs/errors.md lists ids no code in src/ emits (remove their rows, or, if the id is emitted in a way ErrorIdScanner does not see, teach it that form): " + string.Join(", ", unused));
    }

    [Fact]
    public void No_error_id_is_interpolated_or_concatenated()
    {
        Assert.True(Scanned.Interpolated.Count == 0, "error ids built from data (use a constant literal id; put the data in the message): " +
            string.Join("; ", Scanned.Interpolated.Select(i => $"{i.File}:{i.Line} {i.Argument}")));
    }

    [Fact]
    public void The_scanner_sees_every_form_an_id_is_written_in()
    {
        var ids = Scanned.Uses.Select(u => u.Id).ToHashSet();
        // One id per form: exception constructor, target-typed new, base-constructor call, AlertDeliveryException's
        // errorId argument, ErrorId property, const, ErrorRecord, Durations.Problem, a named …ErrorId: argument.
        foreach (var id in new[] { "RepositoryLocked", "TarTruncated", "StoreUnavailable", "SmtpRejected", "DrFailoverFailed",
                     "CellIndexMalformed", "UnexpectedFailure", "DurationInvalid", "BackupStatusUnhealthy", "PostgresManifestIncomplete" })
            Assert.Contains(id, ids);
        Assert.True(ids.Count >= 200, $"only {ids.Count} ids found: the scanner has lost a form");

        var (uses, interpolated) = ErrorIdScanner.ScanText("""
            throw new BackupToolsException(ok ? "FirstWay" : "SecondWay", FailureKind.NotFound, $"x {string.Join(", ", list)}", "y");
            throw new BackupInputException($"{engine}Invalid", "Server", "bad");
            Fail(new ErrorRecord(e, "Known" + suffix, ErrorCategory.NotSpecified, null));
            """, "sample.cs");
        Assert.Equal(["FirstWay", "SecondWay"], uses.Select(u => u.Id));
        Assert.Equal(2, interpolated.Count);
    }
}
