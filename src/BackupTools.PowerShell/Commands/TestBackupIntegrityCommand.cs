using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Emits an IntegrityResult per backup; a failed one is also written as a non-terminating error.</summary>
[Cmdlet(VerbsDiagnostic.Test, "BackupIntegrity")]
[OutputType(typeof(IntegrityResult))]
public sealed class TestBackupIntegrityCommand : DatabaseCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
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
}
