using System.Net;
using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Core.EdgeAuth;

public sealed class FailedAuthenticationBudgetTests
{
    private static readonly IPAddress Nat = IPAddress.Parse("198.51.100.7");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));

    private FailedAuthenticationBudget Budget(int burst = 10, int refillSeconds = 6, int scopes = 100_000) =>
        new(_time, new FailedAuthenticationOptions
        {
            FailedAuthenticationBurst = burst,
            FailedAuthenticationRefill = TimeSpan.FromSeconds(refillSeconds),
            FailedAuthenticationScopes = scopes,
        });

    [Fact]
    public void Brute_force_gets_refused_after_the_burst_with_the_time_until_the_next_allowance()
    {
        var budget = Budget();
        var scope = FailureScope.Webhook("wh_b");
        for (var i = 0; i < 10; i++)
        {
            Assert.True(budget.TrySpend(Nat, scope, out _), $"failure {i + 1} refused");
        }

        Assert.False(budget.TrySpend(Nat, scope, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(6), retryAfter);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(budget.TrySpend(Nat, scope, out retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(2), retryAfter);
    }

    [Fact]
    public void Another_scope_or_address_keeps_its_whole_budget()
    {
        var budget = Budget(burst: 2);
        var tenantB = FailureScope.Device("dev_b");
        budget.TrySpend(Nat, tenantB, out _);
        budget.TrySpend(Nat, tenantB, out _);
        Assert.False(budget.TrySpend(Nat, tenantB, out _));

        // The same address, tenant A's device, webhook and token prefix: untouched. Another address: untouched.
        Assert.True(budget.TrySpend(Nat, FailureScope.Device("dev_a"), out _));
        Assert.True(budget.TrySpend(Nat, FailureScope.Webhook("dev_b"), out _));
        Assert.True(budget.TrySpend(Nat, new FailureScope(FailureScopeKind.TokenPrefix, "dcs_aaaaaaaa"), out _));
        Assert.True(budget.TrySpend(IPAddress.Parse("203.0.113.1"), tenantB, out _));
    }

    [Fact]
    public void The_budget_refills_one_allowance_per_period_up_to_the_burst()
    {
        var budget = Budget(burst: 3, refillSeconds: 10);
        var scope = FailureScope.Device("dev_x");
        for (var i = 0; i < 3; i++)
        {
            budget.TrySpend(Nat, scope, out _);
        }

        Assert.False(budget.TrySpend(Nat, scope, out _));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(budget.TrySpend(Nat, scope, out _));
        Assert.False(budget.TrySpend(Nat, scope, out _));

        // A long quiet spell refills to the burst, no further.
        _time.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(budget.TrySpend(Nat, scope, out _));
        }

        Assert.False(budget.TrySpend(Nat, scope, out _));
    }

    [Fact]
    public void Memory_stays_bounded_and_spent_pairs_stay_refused_under_a_spray_of_scopes()
    {
        var budget = Budget(burst: 1, refillSeconds: 60, scopes: 100);
        var target = FailureScope.Device("dev_target");
        budget.TrySpend(Nat, target, out _);
        Assert.False(budget.TrySpend(Nat, target, out _));

        for (var i = 0; i < 10_000; i++)
        {
            budget.TrySpend(Nat, FailureScope.Device("dev_" + i), out _);
            Assert.True(budget.TrySpend(Nat, target, out _) is false);
            Assert.InRange(budget.TrackedScopes, 1, 100);
        }

        // Once the spray's pairs refilled, a prune makes room for new ones again.
        _time.Advance(TimeSpan.FromMinutes(2));
        budget.TrySpend(Nat, FailureScope.Device("dev_new"), out _);
        Assert.InRange(budget.TrackedScopes, 1, 2);
    }

    [Fact]
    public void Options_that_cannot_work_are_refused()
    {
        var validator = new FailedAuthenticationOptionsValidator();
        Assert.True(validator.Validate(null, new FailedAuthenticationOptions()).Succeeded);
        var result = validator.Validate(null, new FailedAuthenticationOptions { FailedAuthenticationBurst = 0, FailedAuthenticationRefill = TimeSpan.Zero, FailedAuthenticationScopes = 1 });
        Assert.Equal(3, result.Failures!.Count());
        Assert.All(result.Failures!, f => Assert.StartsWith("Access:FailedAuthentication", f, StringComparison.Ordinal));
    }
}
