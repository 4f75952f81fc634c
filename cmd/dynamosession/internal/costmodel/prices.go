package costmodel

// HoursPerMonth is the month AWS's price pages and calculator use:
// 730 hours (365 days × 24 hours / 12).
const HoursPerMonth = 730

// Prices are DynamoDB's prices for the Standard table class, in US
// dollars. The zero value is free; start from [DefaultPrices].
type Prices struct {
	// OnDemandWritePerMillion is the price of a million on-demand write
	// request units.
	OnDemandWritePerMillion float64
	// OnDemandReadPerMillion is the price of a million on-demand read
	// request units.
	OnDemandReadPerMillion float64
	// ProvisionedWCUHour is the price of one provisioned write capacity
	// unit for an hour.
	ProvisionedWCUHour float64
	// ProvisionedRCUHour is the price of one provisioned read capacity
	// unit for an hour.
	ProvisionedRCUHour float64
	// StorageGBMonth is the price of a GB (2^30 bytes) stored for a month.
	StorageGBMonth float64
}

// PricesAsOf says when and where [DefaultPrices] were checked.
//
// Sources: the AWS pricing pages for on-demand
// (https://aws.amazon.com/dynamodb/pricing/on-demand/) and provisioned
// capacity (https://aws.amazon.com/dynamodb/pricing/provisioned/), US East
// (N. Virginia), Standard table class. The on-demand prices are those in
// effect since AWS halved them on 1 November 2024 ($1.25 and $0.25 per
// million before), as quoted by airbyte.com's "Amazon DynamoDB Pricing"
// (21 July 2025) and jusdb.com (19 August 2025); the provisioned prices
// were not changed by that cut. Storage: the first 25 GB a month are free
// (not deducted here), $0.25 per GB-month after.
const PricesAsOf = "us-east-1 list prices, Standard table class, as published since 1 Nov 2024; checked 21 Nov 2026"

// DefaultPrices returns us-east-1 list prices (see [PricesAsOf]).
func DefaultPrices() Prices {
	return Prices{
		OnDemandWritePerMillion: 0.625,
		OnDemandReadPerMillion:  0.125,
		ProvisionedWCUHour:      0.00065,
		ProvisionedRCUHour:      0.00013,
		StorageGBMonth:          0.25,
	}
}
