using Azure.Core;
using Azure.Core.Pipeline;

namespace Refunds.Benchmarks;

/// <summary>Counts every request the storage client sends (reads and writes apart), retries included.</summary>
public sealed class CountingPolicy : HttpPipelineSynchronousPolicy
{
    private long _reads;
    private long _writes;

    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);

    public void Reset()
    {
        Interlocked.Exchange(ref _reads, 0);
        Interlocked.Exchange(ref _writes, 0);
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        if (message.Request.Method == RequestMethod.Get)
        {
            Interlocked.Increment(ref _reads);
        }
        else
        {
            Interlocked.Increment(ref _writes);
        }
    }
}
