"""The fraud watch (R26-R27): one day's calls rated as the bill rates them, five rules, the
alerts and the accounts to suspend under OUT/watch/{D}/. Never issues anything (docs/watch.md)."""
