using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

internal sealed class CellIndexValidator : IContentValidator
{
    public string Name => "index";

    public string Validate(Stream raw, BackupManifest manifest) => $"{CellIndex.ReadFrom(raw).Count} paths";
}
