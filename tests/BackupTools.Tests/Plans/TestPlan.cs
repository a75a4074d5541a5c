using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Plans;

/// <summary>
/// What the plan tests share: a repository and a key file in the test's temp folder, and a backup.yml whose
/// header names them. Verification is off: each test restores and compares the data itself.
/// </summary>
internal static class TestPlan
{
    /// <summary>Creates the repository and key file the header names.</summary>
    public static void InitializeRepository(PsSession ps, TempDir temp) =>
        ps.Run("Initialize-BackupRepository -Format v1 -Path $p | Out-Null; New-BackupKey -Path $k | Out-Null",
            new Dictionary<string, object?> { ["p"] = temp.Sub("repo"), ["k"] = temp.Sub("main.key") }).AssertNoErrors();

    /// <summary>Writes backup.yml (the header, then <paramref name="cells"/>: the entries under <c>cells:</c>) and returns its path.</summary>
    public static string Write(TempDir temp, string cells)
    {
        var path = temp.Sub("backup.yml");
        File.WriteAllText(path, Header(temp) + "\n" + cells);
        return path;
    }

    private static string Header(TempDir temp) => $$"""
        version: 1
        repository: {{temp.Sub("repo")}}
        keys:
          - file: {{temp.Sub("main.key")}}
        verify: { enabled: false }
        cells:
        """;
}
