using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Emits an IntegrityResult per backup; a failed one is also written as a non-terminating error. Without -Id (and
/// nothing piped) it checks a format-2 repository as a whole and emits a RepositoryCheckResult: index ↔ packs ↔
/// manifests, and with -ReadData / -ReadDataSubset the packs' contents.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "BackupIntegrity")]
[OutputType(typeof(IntegrityResult), typeof(RepositoryCheckResult))]
public sealed class TestBackupIntegrityCommand : DatabaseCmdlet
{
    /// <summary>Backups to check; none: check the repository itself (format 2).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    /// <summary>Also restore database backups into a throwaway database on -Server and compare row counts.</summary>
    [Parameter]
    public SwitchParameter RestoreTest { get; set; }

    /// <summary>Check only the stored bytes' sizes and SHA-256 against the manifest: needs no key (a backup host with a public key can run it).</summary>
    [Parameter]
    public SwitchParameter StoredOnly { get; set; }

    /// <summary>Repository check: also read every pack whole and check every chunk in it.</summary>
    [Parameter]
    public SwitchParameter ReadData { get; set; }

    /// <summary>Repository check: read only a deterministic subset of the packs, "n/m" (bucket n of m) or "p%".</summary>
    [Parameter]
    public string? ReadDataSubset { get; set; }

    protected override void ProcessRecord()
    {
        BackupRepository? repository = null;
        BackupTools.Core.Keys.BackupKeyRing keys;
        RestoreTestTarget? restoreTest;
        try
        {
            restoreTest = RestoreTest ? new RestoreTestTarget(ConnectionString, Server, Port, Credential?.UserName,
                Credential?.GetNetworkCredential().Password, ResolvedToolPath) : null;
            repository = ReferenceTo(Repository).Open();
            keys = LoadKeys();
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            repository?.Dispose();
            WriteFailure(e, Repository);
            return;
        }
        using var _ = repository;
        if (Id.Length == 0 || ReadData || ReadDataSubset != null)
        {
            CheckRepository(repository, keys);
            return;
        }
        foreach (var id in Id)
        {
            try
            {
                BackupId.Validate(id);
                var result = RunCore((observer, _, cancel) => new IntegrityVerifier(observer).VerifyAndRecord(repository, id, keys, cancel, restoreTest, StoredOnly));
                WriteObject(result);
                if (!result.Passed)
                    WriteFailure(new BackupIntegrityException("BackupIntegrityCheckFailed",
                        $"Backup {id} failed integrity check '{result.FailedCheck}': {result.Checks.First(c => !c.Passed).Detail}"), id);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, id);
            }
        }
    }

    private void CheckRepository(BackupRepository repository, BackupTools.Core.Keys.BackupKeyRing keys)
    {
        try
        {
            if (Id.Length > 0)
                throw new BackupInputException("ReadDataNeedsRepositoryCheck", ReadData ? "ReadData" : "ReadDataSubset",
                    "-ReadData and -ReadDataSubset check a whole format-2 repository, not single backups (each backup's check already reads its data).",
                    "Omit -Id (and the pipeline) to check the repository, or omit -ReadData/-ReadDataSubset to check these backups.");
            if (ReadData && ReadDataSubset != null)
                throw new BackupInputException("ReadDataConflict", "ReadDataSubset", "-ReadData reads every pack; -ReadDataSubset a part of them.", "Pass one of the two.");
            var subset = ReadData ? PackSubset.All : ReadDataSubset is null ? null : PackSubset.Parse(ReadDataSubset);
            var result = RunCore((observer, _, cancel) => new RepositoryChecker(repository, observer).Check(keys, subset, cancel));
            WriteObject(result);
            if (!result.Passed)
                WriteFailure(new BackupIntegrityException("RepositoryCheckFailed",
                    $"Repository {repository.Location} failed check '{result.FailedCheck}': {result.Checks.First(c => !c.Passed).Detail}"), Repository);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
