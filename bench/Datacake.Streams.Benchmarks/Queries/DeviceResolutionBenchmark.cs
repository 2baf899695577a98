using System.Net;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Benchmarks.Queries;

/// <summary>
/// The identity part of a one-device query alone: <see cref="StoreDeviceReadAccess.ResolveDeviceAsync"/> for a user
/// token and a device of the user's workspace, on the real SQLite store, with the identity cache off (every request
/// reads the token, the memberships, the device and the ancestry: four pooled connections) and on (none while the
/// store does not change). Each call is a new request (a fresh HttpContext), as over HTTP.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class DeviceResolutionBenchmark
{
    private string _directory = null!;
    private string _bearer = null!;
    private string _device = null!;
    private StoreDeviceReadAccess _fromStore = null!;
    private StoreDeviceReadAccess _remembered = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Directory.CreateTempSubdirectory("dcs-resolve-bench-").FullName;
        SqliteMetadataStore store = await SqliteMetadataStore.OpenAsync(_directory);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var user = new UserRecord(OpaqueId.New("usr_"), "bench@example.test", now);
        AccessToken secret = AccessToken.New();
        await store.CreateUserAsync(user, new TokenRecord { Id = OpaqueId.New("tok_"), Kind = TokenKind.User, Hash = secret.Hash, Name = "user token", OwnerUserId = user.Id, CreatedAt = now }, default);
        var home = new WorkspaceRecord(OpaqueId.New("ws_"), "Home", null, now);
        var cellar = new WorkspaceRecord(OpaqueId.New("ws_"), "Cellar", home.Id, now);
        await store.CreateWorkspaceAsync(home, new MembershipRecord(home.Id, user.Id, WorkspaceRole.Owner), default);
        await store.CreateWorkspaceAsync(cellar, null, default);
        var device = new DeviceRecord(DeviceId.New(), cellar.Id, "Fridge", null, null, null, null, now, null);
        await store.CreateDeviceAsync(device, default);
        _bearer = "Bearer " + secret.Secret;
        _device = device.Id.ToString();
        _fromStore = Access(store, TimeSpan.Zero);
        _remembered = Access(store, TimeSpan.FromSeconds(30));
        if ((await _fromStore.ResolveDeviceAsync(Request(), _device, default)).Devices.Count != 1 || (await _remembered.ResolveDeviceAsync(Request(), _device, default)).Devices.Count != 1)
        {
            throw new InvalidOperationException("the owner cannot read the device of the sub-workspace");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public ValueTask<DeviceReadScope> FromStore() => _fromStore.ResolveDeviceAsync(Request(), _device, default);

    [Benchmark]
    public ValueTask<DeviceReadScope> Remembered() => _remembered.ResolveDeviceAsync(Request(), _device, default);

    private static StoreDeviceReadAccess Access(SqliteMetadataStore store, TimeSpan lifetime)
    {
        IOptions<AccessOptions> options = Options.Create(new AccessOptions { IdentityCacheLifetime = lifetime, OperatorToken = AccessToken.New().Secret });
        var limiter = new FailedAuthenticationBudget(TimeProvider.System, new FailedAuthenticationOptions());
        var resolver = new CallerResolver(store, OperatorCredential.Load(options.Value, Path.GetTempPath()), limiter, TimeProvider.System, options);
        return new StoreDeviceReadAccess(resolver, store, new AccessGuard(store), TimeProvider.System, options);
    }

    private DefaultHttpContext Request()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.Request.Headers.Authorization = _bearer;
        return context;
    }
}
