using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>Engine-specific proof that an object's raw bytes are what the engine wrote (e.g. a whole tar).</summary>
public interface IContentValidator
{
    /// <summary>Check name, e.g. "archive".</summary>
    string Name { get; }

    /// <summary>Reads the raw stream (not necessarily to the end) and returns a short detail; throws when invalid.</summary>
    string Validate(Stream raw, BackupManifest manifest);
}
