using BackupTools.Core.Audit;
using System.Diagnostics;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Repository.Chunked;

namespace BackupTools.Core.Verification;

/// <summary>
/// Test-BackupIntegrity's core: for every object of a backup, re-read the stored bytes, authenticate and
/// decrypt, decompress, compare both SHA-256 hashes and sizes with the manifest, and let the engine prove
/// the content whole. Each step is a named check; the first failure stops that object's later checks.
/// </summary>
public sealed class IntegrityVerifier(IOperationObserver observer)
{
    /// <summary>
    /// Verify, then remember the outcome in the repository (verifications/&lt;id&gt;.json): retention keeps the
    /// newest verified backup, and a backup that fails a later check loses that standing.
    /// </summary>
    /// <param name="storedOnly">Check only the stored bytes (size, SHA-256): needs no key, so a write-only host can run it; not
    /// recorded as a verification (it proves the bytes are intact, not that they restore).</param>
    public IntegrityResult VerifyAndRecord(BackupRepository repository, string id, BackupKeyRing? keys, CancellationToken cancel, RestoreTestTarget? restoreTest = null,
        bool storedOnly = false)
    {
        var result = Verify(repository, id, keys, cancel, restoreTest, storedOnly);
        if (result.Record == null) return result; // no such backup: nothing to record
        if (!storedOnly) VerificationLog.Record(repository, result, observer);
        AuditLog.Append(repository, new AuditSubject("verify", result.Record.Cell, result.Record.Engine, result.Record.Source),
            result.Passed ? AuditResults.Succeeded : AuditResults.Failed, [id],
            result.Passed ? $"{result.Checks.Count} checks passed{(result.RestoreDuration is { } d ? $", restore test {d.TotalSeconds:0.#} s" : "")}" : $"failed at {result.FailedCheck}: {result.Checks.First(c => !c.Passed).Detail}",
            result.Passed ? null : "BackupIntegrityCheckFailed", observer);
        return result;
    }

    public IntegrityResult Verify(BackupRepository repository, string id, BackupKeyRing? keys, CancellationToken cancel, RestoreTestTarget? restoreTest = null,
        bool storedOnly = false)
    {
        if (storedOnly && restoreTest != null)
            throw new BackupInputException("StoredOnlyWithRestoreTest", "StoredOnly", "a stored-bytes check reads no content, so it cannot also restore-test.", "Drop -StoredOnly or -RestoreTest.");
        var clock = Stopwatch.StartNew();
        var checks = new List<IntegrityCheck>();
        BackupManifest manifest;
        try
        {
            manifest = repository.GetManifest(id, cancel);
            checks.Add(new IntegrityCheck("manifest", true, $"format v{manifest.FormatVersion}, {manifest.Objects.Count} object(s)"));
        }
        catch (BackupToolsException e)
        {
            checks.Add(new IntegrityCheck("manifest", false, e.Message));
            return new IntegrityResult { Id = id, Passed = false, Checks = checks, Duration = clock.Elapsed };
        }

        var passed = CheckChain(repository, manifest, checks);
        foreach (var (role, expected) in manifest.Objects.OrderBy(o => o.Key == BackupManifest.DataRole ? 0 : 1))
        {
            cancel.ThrowIfCancellationRequested();
            passed &= !storedOnly ? VerifyObject(repository, manifest, role, expected, keys, checks)
                : manifest.IsChunkedObject(expected) ? VerifyPackPresence(repository, role, expected, keys, checks, cancel)
                : VerifyStoredBytes(repository, role, expected, checks, cancel);
        }
        TimeSpan? restoreDuration = null;
        if (passed && restoreTest != null)
            (passed, restoreDuration) = RestoreTester.Run(repository, manifest, keys, restoreTest, checks, observer, cancel);
        return new IntegrityResult
        {
            Id = id,
            Record = repository.ToRecord(manifest),
            Passed = passed,
            Checks = checks,
            Duration = clock.Elapsed,
            RestoreDuration = restoreDuration,
        };
    }

    private static bool CheckChain(BackupRepository repository, BackupManifest manifest, List<IntegrityCheck> checks)
    {
        if (manifest.ParentId is null) return true;
        var ok = repository.Store.Exists(BackupRepository.ManifestKey(manifest.ParentId));
        checks.Add(new IntegrityCheck("chain", ok, ok ? $"parent {manifest.ParentId} present" : $"parent {manifest.ParentId} is missing: this {manifest.Kind} cannot be restored"));
        return ok;
    }

    /// <summary>The registered engine's validator for this object; an engine or role nobody declared fails the content check.</summary>
    private static IContentValidator ValidatorOf(BackupManifest manifest, string role)
    {
        var engine = EngineRegistry.Get(manifest.Engine);
        return engine.Validators.TryGetValue(role, out var validator) ? validator
            : throw new BackupIntegrityException("UnknownObjectRole",
                $"The {engine.DisplayName} engine declares no '{role}' object, so its content cannot be checked (known: {string.Join(", ", engine.Validators.Keys)}).");
    }

    /// <summary>-StoredOnly on a chunked backup: every chunk in the index, every pack present at its size (a write-only host reads the index with its writer secret).</summary>
    private static bool VerifyPackPresence(BackupRepository repository, string role, ManifestObject expected, BackupKeyRing? keys, List<IntegrityCheck> checks, CancellationToken cancel)
    {
        var (present, detail) = PackPresenceCheck.Run(repository, expected, keys, cancel);
        checks.Add(new IntegrityCheck($"{role}:packs", present, present ? detail + " (content not read)" : detail));
        return present;
    }

    /// <summary>Size and SHA-256 of the stored (encrypted) bytes against the manifest: no key needed.</summary>
    private static bool VerifyStoredBytes(BackupRepository repository, string role, ManifestObject expected, List<IntegrityCheck> checks, CancellationToken cancel)
    {
        try
        {
            using var stored = new Pipeline.Hashing.HashingStream(repository.Store.OpenRead(expected.Key, cancel));
            stored.CopyTo(Stream.Null);
            var ok = stored.BytesCounted == expected.StoredBytes && stored.HashHex == expected.Sha256;
            checks.Add(new IntegrityCheck($"{role}:stored-sha256", ok, ok ? $"{stored.BytesCounted} bytes, stored {expected.Sha256[..12]}… match (content not read)"
                : $"{expected.Key}: {stored.BytesCounted} bytes with SHA-256 {stored.HashHex[..12]}…, the manifest says {expected.StoredBytes} bytes, {expected.Sha256[..12]}…"));
            return ok;
        }
        catch (BackupToolsException e)
        {
            checks.Add(new IntegrityCheck($"{role}:stored-sha256", false, $"{e.ErrorId}: {e.Message}"));
            return false;
        }
    }

    private bool VerifyObject(BackupRepository repository, BackupManifest manifest, string role, ManifestObject expected, BackupKeyRing? keys, List<IntegrityCheck> checks)
    {
        if (manifest.IsChunkedObject(expected))
        {
            var (present, detail) = PackPresenceCheck.Run(repository, expected, keys);
            checks.Add(new IntegrityCheck($"{role}:packs", present, detail));
            if (!present) return false;
        }
        else
        {
            var size = repository.Store.SizeOf(expected.Key);
            if (size != expected.StoredBytes)
            {
                checks.Add(new IntegrityCheck($"{role}:stored-size", false, size is null ? $"{expected.Key} is missing" : $"{size} bytes stored, manifest says {expected.StoredBytes}"));
                return false;
            }
            checks.Add(new IntegrityCheck($"{role}:stored-size", true, $"{size} bytes"));
        }
        var step = $"{role}:open";
        try
        {
            using var stream = repository.OpenObject(manifest, role, keys);
            if (manifest.Encryption != null) checks.Add(new IntegrityCheck($"{role}:key", true, $"data key unwrapped"));
            step = $"{role}:content";
            var validator = ValidatorOf(manifest, role);
            step = $"{role}:{validator.Name}";
            var detail = validator.Validate(stream, manifest);
            step = $"{role}:hashes";
            stream.VerifyToEnd();
            checks.Add(new IntegrityCheck($"{role}:{validator.Name}", true, detail));
            checks.Add(new IntegrityCheck($"{role}:decrypt+decompress", true, manifest.Encryption is null ? $"{manifest.Compression.Algorithm}" : $"AES-256-GCM, {manifest.Compression.Algorithm}"));
            checks.Add(new IntegrityCheck($"{role}:sha256", true, manifest.IsChunkedObject(expected)
                ? $"{expected.Chunks!.Count} chunk id(s) and raw {expected.RawSha256[..12]}… match"
                : $"stored {expected.Sha256[..12]}…, raw {expected.RawSha256[..12]}… match"));
            return true;
        }
        catch (BackupToolsException e)
        {
            var name = e.ErrorId switch
            {
                "KeyRequired" or "KeyNotInKeyRing" or "DataKeyUnwrapFailed" or "PrivateKeyRequired" => $"{role}:key",
                "StoredSizeMismatch" or "StoredHashMismatch" or "RawHashMismatch" => $"{role}:sha256",
                "PackMissing" or "PackTruncated" or "ChunkNotInIndex" or "ChunkHashMismatch" or "ChunkLengthMismatch" => $"{role}:packs",
                _ when e.ErrorId.StartsWith("Encrypted", StringComparison.Ordinal) || e.ErrorId == "DecompressionFailed" => $"{role}:decrypt+decompress",
                _ => step,
            };
            checks.Add(new IntegrityCheck(name, false, $"{e.ErrorId}: {e.Message}"));
            observer.Verbose($"{manifest.Id} {name}: {e.Message}");
            return false;
        }
    }
}
