using Refunds.Core.Http;

namespace Refunds.Core.UnitTests.Http;

public class BoundedBodyTests
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public async Task A_large_declared_length_reserves_no_memory_before_the_bytes_arrive()
    {
        using var tenBytes = new MemoryStream(new byte[10]);
        _ = await BoundedBody.ReadAsync(new MemoryStream(new byte[10]), 10, Limit, CancellationToken.None); // warm up

        var before = GC.GetAllocatedBytesForCurrentThread();
        var body = await BoundedBody.ReadAsync(tenBytes, declaredLength: Limit, Limit, CancellationToken.None);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(body.IsTooLarge);
        Assert.Equal(10, body.Bytes.Length);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes for a 10-byte body that declared {Limit}");
    }

    [Fact]
    public async Task A_body_longer_than_it_declared_is_still_cut_at_the_limit()
    {
        using var source = new MemoryStream(new byte[Limit + 100]);

        var body = await BoundedBody.ReadAsync(source, declaredLength: 100, Limit, CancellationToken.None);

        Assert.True(body.IsTooLarge);
        Assert.Equal(Limit + 1, body.BytesDeclaredOrSeen);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16 * 1024)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(Limit)]
    public async Task A_body_up_to_the_limit_is_read_whole_byte_for_byte(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);

        var body = await BoundedBody.ReadAsync(new MemoryStream(bytes), null, Limit, CancellationToken.None);

        Assert.False(body.IsTooLarge);
        Assert.Equal(bytes, body.Bytes.ToArray());
    }
}
