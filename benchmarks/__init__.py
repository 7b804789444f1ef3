"""The lab: benchmarks and studies of claimnet, kept out of the wheel.

Run one as ``python -m benchmarks NAME [ARGS]`` or ``make bench B=NAME ARGS="..."``;
``python -m benchmarks`` lists them. Each writes its JSON figures into
``benchmarks/results/`` (named by what was measured and the host kind).
"""
