using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Core.Storage.S3;

namespace BackupTools.Tests.Storage;

public sealed class S3LocationTests
{
    [Fact]
    public void Options_are_parsed_and_the_canonical_uri_opens_the_same_location()
    {
        var location = S3Location.Parse("s3://my-bucket/a/b/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1&sse=aws:kms&kmsKeyId=alias/backup&storageClass=STANDARD_IA&partSize=32MB");
        Assert.Equal("my-bucket", location.Bucket);
        Assert.Equal("a/b", location.Prefix);
        Assert.Equal("http://127.0.0.1:9000", location.Endpoint);
        Assert.Equal("eu-west-1", location.Region);
        Assert.True(location.PathStyle); // default with a custom endpoint
        Assert.Equal("aws:kms", location.ServerSideEncryption);
        Assert.Equal("alias/backup", location.KmsKeyId);
        Assert.Equal("STANDARD_IA", location.StorageClass);
        Assert.Equal(32L << 20, location.PartSize);
        Assert.Equal(location, S3Location.Parse(location.ToString()));
        Assert.Equal("a/b/backups/x", location.KeyOf("backups/x"));
    }

    [Fact]
    public void Aws_defaults_virtual_hosted_style_and_path_style_can_be_forced_either_way()
    {
        Assert.False(S3Location.Parse("s3://bucket-1").PathStyle);
        Assert.Equal("", S3Location.Parse("s3://bucket-1").Prefix);
        Assert.False(S3Location.Parse("s3://bucket-1/x?endpoint=https://oss-cn-hangzhou.aliyuncs.com&pathStyle=false").PathStyle);
        Assert.True(S3Location.Parse("s3://bucket-1/x?pathStyle=true").PathStyle);
    }

    [Theory]
    [InlineData("s3://Bad_Bucket/x", "bucket name")]
    [InlineData("s3://bucket-1/x?colour=red", "unknown option 'colour'")]
    [InlineData("s3://bucket-1/x?sse=rot13", "sse='rot13'")]
    [InlineData("s3://bucket-1/x?partSize=1MB", "partSize")]
    [InlineData("s3://bucket-1/x?endpoint=ftp://host", "endpoint")]
    [InlineData("s3://bucket-1/a/../b", "'..'")]
    public void Bad_uris_name_the_parameter_and_what_is_wrong(string uri, string what)
    {
        var error = Assert.Throws<BackupInputException>(() => S3Location.Parse(uri));
        Assert.Equal("RepositoryUriInvalid", error.ErrorId);
        Assert.Equal("Repository", error.Parameter);
        Assert.Contains(what, error.Message);
    }

    [Fact]
    public void Keys_in_the_uri_are_refused_without_echoing_the_secret()
    {
        var error = Assert.Throws<BackupInputException>(() => new RepositoryReference("s3://AKIAEXAMPLE:wJalrXUtnFEMIsecret@bucket-1/x").OpenStore());
        Assert.Equal("RepositoryCredentialsInUri", error.ErrorId);
        Assert.DoesNotContain("wJalrXUtnFEMIsecret", error.Message + error.RecommendedAction);
    }

    [Fact]
    public void OpenStore_picks_the_backend_from_the_uri()
    {
        var s3 = new RepositoryReference("s3://bucket-1/p?endpoint=http://127.0.0.1:1", new StorageCredential("id", "secret-value")).OpenStore();
        Assert.IsType<S3BackupStore>(s3.Ability<S3BackupStore>());
        Assert.IsType<RetryingBackupStore>(s3);
        Assert.DoesNotContain("secret-value", s3.Location);
        Assert.IsType<LocalBackupStore>(new RepositoryReference("/tmp/some/repo").OpenStore());
        Assert.IsType<LocalBackupStore>(new RepositoryReference("file:///tmp/some/repo").OpenStore());
        Assert.Equal("RepositorySchemeUnsupported", Assert.Throws<BackupInputException>(() => new RepositoryReference("ftp://host/x").OpenStore()).ErrorId);
    }

    [Fact]
    public void Endpoint_comes_from_AWS_ENDPOINT_URL_when_the_uri_has_none()
    {
        // Read at parse time only, so setting it briefly here cannot disturb other tests' explicit endpoints.
        var saved = Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9999");
        try
        {
            Assert.Equal("http://127.0.0.1:9999", S3Location.Parse("s3://bucket-1/p").Endpoint);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", saved);
        }
    }
}
