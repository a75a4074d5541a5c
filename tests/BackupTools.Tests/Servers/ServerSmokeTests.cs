using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MySqlConnector;
using Npgsql;
using StackExchange.Redis;

namespace BackupTools.Tests.Servers;

/// <summary>Proves each real server CI starts is up and usable with the client library our engines use.</summary>
[Collection("servers")]
public sealed class ServerSmokeTests
{
    [Fact]
    public void Postgres_accepts_the_password_and_round_trips_a_row()
    {
        using var connection = new NpgsqlConnection(TestServers.Postgres.ConnectionString());
        connection.Open();
        using var command = new NpgsqlCommand("create temp table smoke(v text); insert into smoke values ('ok'); select v from smoke", connection);
        Assert.Equal("ok", command.ExecuteScalar());
    }

    [Fact]
    public void Postgres_rejects_a_wrong_password()
    {
        var server = TestServers.Postgres;
        using var connection = new NpgsqlConnection(server.ConnectionString().Replace(server.Password, "wrong-password"));
        var error = Assert.Throws<PostgresException>(() => connection.Open());
        Assert.Equal("28P01", error.SqlState);
    }

    [Fact]
    public void MariaDb_round_trips_a_row()
    {
        using var connection = new MySqlConnection(TestServers.MySql.ConnectionString());
        connection.Open();
        using var command = new MySqlCommand("create temporary table test.smoke(v varchar(10)); insert into test.smoke values ('ok'); select v from test.smoke", connection);
        using (var create = new MySqlCommand("create database if not exists test", connection)) create.ExecuteNonQuery();
        Assert.Equal("ok", command.ExecuteScalar());
    }

    [Fact]
    public void Redis_sets_and_gets()
    {
        var server = TestServers.Redis;
        using var redis = ConnectionMultiplexer.Connect($"{server.Host}:{server.Port}");
        var db = redis.GetDatabase();
        db.StringSet("smoke", "ok");
        Assert.Equal("ok", (string?)db.StringGet("smoke"));
    }

    [Fact]
    public async Task S3_server_stores_and_returns_an_object()
    {
        var server = TestServers.S3;
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(server.AccessKey, server.SecretKey),
            new AmazonS3Config { ServiceURL = server.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var bucket = "smoke-" + Guid.NewGuid().ToString("N")[..12];
        await s3.PutBucketAsync(bucket);
        var body = new byte[3 * 1024 * 1024 + 5];
        Random.Shared.NextBytes(body);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a/b.bin", InputStream = new MemoryStream(body) });
        using var get = await s3.GetObjectAsync(bucket, "a/b.bin");
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(body, copy.ToArray());
        await s3.DeleteObjectAsync(bucket, "a/b.bin");
        await s3.DeleteBucketAsync(bucket);
    }
}
