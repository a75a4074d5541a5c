using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Audit;

/// <summary>How an audited operation ended, for its audit entry.</summary>
public sealed record AuditOutcome(IEnumerable<string> Ids, string? Message, bool Succeeded = true);

/// <summary>
/// Wraps an operation so its outcome lands in the repository's audit log: the ids it produced on success,
/// the error (id and message) on failure — which still propagates. The work and its entries share one open
/// repository (<see cref="OperationRepository"/>), disposed at the end; an operation that cannot even open its
/// repository simply leaves no entry.
/// </summary>
public static class OperationAudit
{
    /// <param name="describe">The entry for a result; null for a result that did nothing (-WhatIf).</param>
    public static T Run<T>(RepositoryReference reference, AuditSubject subject, IOperationObserver observer, Func<OperationRepository, T> work, Func<T, AuditOutcome?> describe)
    {
        using var repository = new OperationRepository(reference);
        return Run(repository, subject, observer, () => work(repository), describe);
    }

    /// <summary>For an operation that audits several steps into the one repository it holds open.</summary>
    public static T Run<T>(OperationRepository repository, AuditSubject subject, IOperationObserver observer, Func<T> work, Func<T, AuditOutcome?> describe)
    {
        T result;
        try
        {
            result = work();
        }
        catch (Exception e)
        {
            Append(repository, subject, AuditResults.Failed, null, e.Message, AuditLog.ErrorIdOf(e), observer);
            throw;
        }
        if (describe(result) is { } outcome)
            Append(repository, subject, outcome.Succeeded ? AuditResults.Succeeded : AuditResults.Failed, outcome.Ids, outcome.Message, null, observer);
        return result;
    }

    /// <summary>Database backups yield one outcome per database: one entry each.</summary>
    public static IReadOnlyList<ItemOutcome> Items(RepositoryReference reference, string engine, string? cell, string server,
        IOperationObserver observer, Func<OperationRepository, IReadOnlyList<ItemOutcome>> work)
    {
        using var repository = new OperationRepository(reference);
        var outcomes = Run(repository, new AuditSubject("backup", cell, engine, server), observer, () => work(repository), _ => null);
        foreach (var item in outcomes)
        {
            var subject = new AuditSubject("backup", item.Record?.Cell ?? cell ?? item.Item, item.Record?.Engine ?? engine, item.Record?.Source ?? item.Item);
            if (item.Record is { } record)
                Append(repository, subject, AuditResults.Succeeded, [record.Id], $"{server}: {record.RawBytes} bytes", null, observer);
            else
                Append(repository, subject, AuditResults.Failed, null, item.Error?.Message, item.Error is null ? null : AuditLog.ErrorIdOf(item.Error), observer);
        }
        return outcomes;
    }

    private static void Append(OperationRepository repository, AuditSubject subject, string result, IEnumerable<string>? ids, string? message, string? errorId, IOperationObserver observer)
    {
        // No repository to audit into: the operation's own error says why.
        if (repository.TryGet() is { } open)
            AuditLog.Append(open, subject, result, ids, message, errorId, observer);
    }
}
