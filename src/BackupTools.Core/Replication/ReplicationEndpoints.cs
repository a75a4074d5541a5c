using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Replication;

/// <summary>Opens the two repositories of a copy, with errors that name the parameter that was wrong.</summary>
internal static class ReplicationEndpoints
{
    public static (BackupRepository Source, BackupRepository Destination) Open(string? sourceLocation, string sourceParameter,
        string? destinationLocation, string destinationParameter)
    {
        var source = OpenOne(sourceLocation, sourceParameter, isDestination: false);
        var destination = OpenOne(destinationLocation, destinationParameter, isDestination: true);
        if (string.Equals(source.Location, destination.Location, StringComparison.Ordinal))
            throw ReplicationErrors.SameRepository(destinationParameter, destination.Location);
        return (source, destination);
    }

    private static BackupRepository OpenOne(string? location, string parameter, bool isDestination)
    {
        var store = RepositoryLocation.OpenStore(location);
        try
        {
            return BackupRepository.Open(store);
        }
        catch (BackupToolsException e) when (e.ErrorId == "RepositoryNotFound")
        {
            throw ReplicationErrors.RepositoryMissing(parameter, store.Location, isDestination);
        }
    }
}
