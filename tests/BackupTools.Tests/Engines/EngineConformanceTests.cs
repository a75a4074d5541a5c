using System.Security.Cryptography;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Verification;
using BackupTools.Tests.Infrastructure;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// What every engine promises, run against the real servers through each engine's core operations (the cmdlets'
/// calls): exact round trip, a cancelled backup leaves nothing listed and no stored objects, -WhatIf changes
/// nothing, corruption is caught before anything is replaced, an in-place restore takes a safety backup first,
/// another engine's backup is refused clearly, no secret in manifest/audit/messages/errors, integrity and restore
/// test pass. One subclass per engine; an engine without a restore returns null from <see cref="Restore"/>.
/// </summary>
public abstract class EngineConformanceTests : IDisposable
{
    protected readonly TempDir Temp = new();
    protected readonly RecordingObserver Observer = new();
    protected readonly BackupKeyRing Keys = BackupKeyRing.Load(new KeySources([], [Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))], false));
    protected static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    protected EngineConformanceTests() => BackupRepository.Initialize(new LocalBackupStore(Repo), new RepositoryDefaults(), formatVersion: 1);

    protected string Repo => Temp.Sub("repo");
    protected BackupRepository Repository => BackupRepository.Open(new LocalBackupStore(Repo));

    /// <summary>The manifest engine name this suite exercises (its descriptor must be registered).</summary>
    protected abstract string Engine { get; }

    /// <summary>The secret the source is reached with (null: the engine has none, e.g. a directory).</summary>
    protected abstract string? Secret { get; }

    /// <summary>Backs the source up; the observer sees its progress (the cancel test cancels from there).</summary>
    protected abstract BackupRecord Backup(IOperationObserver observer, CancellationToken cancel);

    /// <summary>What the source holds now, comparable with Assert.Equal.</summary>
    protected abstract string Fingerprint();

    /// <summary>Changes the source so that a restore has something to undo.</summary>
    protected abstract void Change();

    /// <summary>Restores backup <paramref name="id"/> over the source in place; returns the safety backup's id. Null: the engine has no restore.</summary>
    protected abstract Func<string, Func<string, string, bool>, string?>? Restore { get; }

    /// <summary>
    /// Whether an in-place restore takes a safety backup first. False only where the engine cannot know what it
    /// replaces (a command source: the operator's restore command writes wherever it writes).
    /// </summary>
    protected virtual bool TakesSafetyBackup => true;

    /// <summary>Part of the name of the external tool the backup runs (null: none), which the argv check must see running.</summary>
    protected virtual string? DumpTool => null;

    /// <summary>Where the restore test runs (the engine's own server), for integrity with -RestoreTest.</summary>
    protected abstract RestoreTestTarget RestoreTestTarget { get; }

    /// <summary>A backup of another engine written into this repository: restoring it with this engine must be refused.</summary>
    protected BackupRecord ForeignBackup()
    {
        var foreign = Engine == "directory" ? "redis" : "directory";
        var writer = new BackupTools.Core.Engines.BackupTemplate(NullObserver.Instance);
        return writer.Write(Repository, new BackupTools.Core.Engines.StreamBackup("foreign", "elsewhere", foreign, null, Keys), data => data.Write("not this engine"u8), () => new(), CancellationToken.None);
    }

    private string[] StoredObjects() => Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Repo, f)).Where(f => !f.StartsWith("audit", StringComparison.Ordinal) && !f.StartsWith("verifications", StringComparison.Ordinal)
            && !f.StartsWith("locks", StringComparison.Ordinal) && !f.Contains("lock", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Is_registered_with_a_validator()
    {
        Assert.True(EngineRegistry.TryGet(Engine, out var engine));
        Assert.Contains(BackupManifest.DataRole, engine.Validators.Keys);
    }

    [Fact]
    public void Round_trip_is_exact_and_in_place_restore_takes_a_safety_backup_first()
    {
        if (Restore is not { } restore) return;
        var before = Fingerprint();
        var backup = Backup(Observer, CancellationToken.None);
        Change();
        var changed = Fingerprint();
        Assert.NotEqual(before, changed);
        var safetyId = restore(backup.Id, (_, _) => true);
        Assert.Equal(before, Fingerprint());
        if (!TakesSafetyBackup) return;
        Assert.NotNull(safetyId);
        var safety = Repository.GetManifest(safetyId!);
        Assert.True(SafetyBackup.IsSafetyBackup(safety));
        Assert.Equal(Engine, safety.Engine);
        // The safety backup holds the data that was replaced: restoring it brings the change back.
        restore(safetyId!, (_, _) => true);
        Assert.Equal(changed, Fingerprint());
    }

    [Fact]
    public void Cancel_mid_backup_leaves_no_listed_backup_and_no_stored_objects()
    {
        var objectsBefore = StoredObjects();
        using var stop = new CancellationTokenSource();
        var cancelling = new RecordingObserver { OnProgress = stop.Cancel };
        var error = Record.Exception(() => Backup(cancelling, stop.Token));
        Assert.True(cancelling.ProgressCount > 0, "the backup reported no progress, so the test could not cancel it mid-way");
        Assert.True(error is OperationCanceledException || error is BackupToolsException { Kind: FailureKind.OperationStopped }, $"expected a cancellation, got {error}");
        Assert.Empty(Repository.ListManifests());
        Assert.Equal(objectsBefore, StoredObjects());
    }

    [Fact]
    public void WhatIf_restore_changes_nothing()
    {
        if (Restore is not { } restore) return;
        var backup = Backup(Observer, CancellationToken.None);
        Change();
        var changed = Fingerprint();
        var manifests = Repository.ListManifests().Count;
        restore(backup.Id, (_, _) => false);
        Assert.Equal(changed, Fingerprint());
        Assert.Equal(manifests, Repository.ListManifests().Count);
    }

    [Fact]
    public void Corruption_is_detected_before_anything_is_replaced()
    {
        if (Restore is not { } restore) return;
        var backup = Backup(Observer, CancellationToken.None);
        Change();
        var changed = Fingerprint();
        var data = Path.Combine(Repo, Repository.GetManifest(backup.Id).Objects[BackupManifest.DataRole].Key);
        var bytes = File.ReadAllBytes(data);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(data, bytes);
        Assert.ThrowsAny<BackupToolsException>(() => restore(backup.Id, (_, _) => true));
        Assert.Equal(changed, Fingerprint());
        Assert.False(new IntegrityVerifier(NullObserver.Instance).Verify(Repository, backup.Id, Keys, CancellationToken.None).Passed);
    }

    [Fact]
    public void A_backup_of_another_engine_is_refused_with_a_clear_error()
    {
        if (Restore is not { } restore) return;
        var before = Fingerprint();
        var foreign = ForeignBackup();
        var error = Assert.ThrowsAny<BackupToolsException>(() => restore(foreign.Id, (_, _) => true));
        Assert.Contains(foreign.Id, error.Message);
        Assert.Contains(foreign.Engine, error.Message);
        Assert.Equal(before, Fingerprint());
    }

    [Fact]
    public void Integrity_and_restore_test_pass_and_no_secret_is_written_anywhere()
    {
        var backup = Backup(Observer, CancellationToken.None);
        var result = new IntegrityVerifier(Observer).VerifyAndRecord(Repository, backup.Id, Keys, CancellationToken.None, RestoreTestTarget);
        Assert.True(result.Passed, string.Join("; ", result.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Contains(result.Checks, c => c.Name == "restore-test");
        if (Secret is not { } secret) return;
        var failure = Record.Exception(() => Restore?.Invoke("20000101T000000Z-none-x-0000", (_, _) => true));
        var texts = Directory.EnumerateFiles(Repo, "*.json", SearchOption.AllDirectories).Select(File.ReadAllText)
            .Concat(Observer.Messages).Concat(result.Checks.Select(c => c.Detail)).Append(failure?.ToString() ?? "");
        Assert.All(texts, text => Assert.DoesNotContain(secret, text));
    }

    /// <summary>While the backup streams (its tools running), no process on this machine has the secret in its command line.</summary>
    [Fact]
    public void No_secret_in_any_process_arguments_while_the_backup_runs()
    {
        if (Secret is not { } secret) return;
        var seen = new List<string>();
        var watcher = new RecordingObserver { OnEveryProgress = () => { if (seen.Count < 20) seen.AddRange(CommandLines()); } };
        Backup(watcher, CancellationToken.None);
        Assert.NotEmpty(seen);
        if (DumpTool is { } tool) Assert.Contains(seen, line => line.Contains(tool, StringComparison.Ordinal)); // the scan did catch the tool running
        Assert.All(seen, line => Assert.DoesNotContain(secret, line));
    }

    private static IEnumerable<string> CommandLines()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsDigit)))
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (text.Length > 0) yield return text;
        }
    }

    public virtual void Dispose() => Temp.Dispose();
}

/// <summary>Keeps every warning/verbose message and progress status (to search for secrets); can act on the first progress report.</summary>
public sealed class RecordingObserver : IOperationObserver
{
    private readonly List<string> _messages = [];
    public Action? OnProgress { get; init; }
    public Action? OnEveryProgress { get; init; }
    public int ProgressCount { get; private set; }
    public IReadOnlyList<string> Messages { get { lock (_messages) return _messages.ToList(); } }

    public void Progress(string activity, string status, long bytesDone, long? bytesTotal)
    {
        lock (_messages) _messages.Add(status);
        if (ProgressCount++ == 0) OnProgress?.Invoke();
        OnEveryProgress?.Invoke();
    }

    public void Warning(string message) { lock (_messages) _messages.Add(message); }
    public void Verbose(string message) { lock (_messages) _messages.Add(message); }
}
