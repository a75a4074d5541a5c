using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Repository;

/// <summary>Sortable backup ids: 20260101T020000Z-crm-directory-ab12cd.</summary>
public static partial class BackupId
{
    public static string New(DateTimeOffset startedAt, string cell, string engine) =>
        $"{startedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{cell}-{engine.ToLowerInvariant()}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant()}";

    public static bool IsValid(string id) => IdPattern().IsMatch(id);

    public static void Validate(string id)
    {
        if (!IsValid(id))
            throw new BackupInputException("BackupIdInvalid", "Id", $"'{id}' is not a backup id.", "Copy the Id from Get-Backup output.");
    }

    /// <summary>Cell names become part of ids and folder names, so keep them to a safe alphabet.</summary>
    public static bool IsValidCellName(string cell) => CellPattern().IsMatch(cell);

    public static void ValidateCellName(string cell)
    {
        if (!IsValidCellName(cell))
            throw new BackupInputException("CellNameInvalid", "Name",
                $"'{cell}' is not a valid cell name.", "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    [GeneratedRegex(@"^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9][A-Za-z0-9._-]{0,63}-[a-z0-9]+-[0-9a-f]{6}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex CellPattern();
}
