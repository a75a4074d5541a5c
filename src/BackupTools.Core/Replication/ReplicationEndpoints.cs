using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

/// <summary>
/// Opens the two repositories of a copy, each with its own credential, with errors that name the parameter that
/// was wrong. The caller disposes both.
/// </summary>
internal static class ReplicationEndpoints
{
    public static (BackupRepository Source, BackupRepository Destination) Open(RepositoryReference source, string sourceParameter,
        RepositoryReference destination, string destinationParameter)
    {
        var from = OpenOne(source, sourceParameter, isDestination: false);
        try
        {
            var to = OpenOne(destination, destinationParameter, isDestination: true);
            if (!string.Equals(from.Location, to.Location, StringComparison.Ordinal)) return (from, to);
            to.Dispose();
            throw ReplicationErrors.SameRepository(destinationParameter, from.Location);
        }
        catch
        {
            from.Dispose();
            throw;
        }
    }

    private static BackupRepository OpenOne(RepositoryReference reference, string parameter, bool isDestination)
    {
        var store = reference.OpenStore();
        try
        {
            return BackupRepository.Open(store);
        }
        catch (BackupToolsException e) when (e.ErrorId == "RepositoryNotFound")
        {
            store.Dispose();
            throw ReplicationErrors.RepositoryMissing(parameter, store.Location, isDestination);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
