using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Audit;

/// <summary>How an audited operation ended, for its audit entry.</summary>
public sealed record AuditOutcome(IEnumerable<string> Ids, string? Message, bool Succeeded = true);

/// <summary>
/// Wraps an operation so its outcome lands in the repository's audit log: the ids it produced on success,
/// the error (id and message) on failure — which still propagates. The repository is opened separately for
/// the audit, so an operation that cannot even open its repository simply leaves no entry.
/// </summary>
public static class OperationAudit
{
    /// <param name="describe">The entry for a result; null for a result that did nothing (-WhatIf).</param>
    public static T Run<T>(string? repositoryLocation, AuditSubject subject, IOperationObserver observer, Func<T> work, Func<T, AuditOutcome?> describe)
    {
        T result;
        try
        {
            result = work();
        }
        catch (Exception e)
        {
            Append(repositoryLocation, subject, AuditResults.Failed, null, e.Message, AuditLog.ErrorIdOf(e), observer);
            throw;
        }
        if (describe(result) is { } outcome)
            Append(repositoryLocation, subject, outcome.Succeeded ? AuditResults.Succeeded : AuditResults.Failed, outcome.Ids, outcome.Message, null, observer);
        return result;
    }

    /// <summary>Database backups yield one outcome per database: one entry each.</summary>
    public static IReadOnlyList<ItemOutcome> Items(string? repositoryLocation, string engine, string? cell, string server,
        IOperationObserver observer, Func<IReadOnlyList<ItemOutcome>> work)
    {
        var outcomes = Run(repositoryLocation, new AuditSubject("backup", cell, engine, server), observer, work, _ => null);
        foreach (var item in outcomes)
        {
            var subject = new AuditSubject("backup", item.Record?.Cell ?? cell ?? item.Item, item.Record?.Engine ?? engine, item.Record?.Source ?? item.Item);
            if (item.Record is { } record)
                Append(repositoryLocation, subject, AuditResults.Succeeded, [record.Id], $"{server}: {record.RawBytes} bytes", null, observer);
            else
                Append(repositoryLocation, subject, AuditResults.Failed, null, item.Error?.Message, item.Error is null ? null : AuditLog.ErrorIdOf(item.Error), observer);
        }
        return outcomes;
    }

    private static void Append(string? repositoryLocation, AuditSubject subject, string result, IEnumerable<string>? ids, string? message, string? errorId, IOperationObserver observer)
    {
        BackupRepository repository;
        try
        {
            repository = BackupRepository.Open(RepositoryLocation.OpenStore(repositoryLocation));
        }
        catch (BackupToolsException)
        {
            return; // no repository to audit into; the operation's own error says why
        }
        AuditLog.Append(repository, subject, result, ids, message, errorId, observer);
    }
}
