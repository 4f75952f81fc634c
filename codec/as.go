package codec

import "fmt"

// As returns the codec that c is for values of type V: the same format and
// configuration (Exclusive flags, compression options, keyring), so that
// data stored for a T can be decoded as another type, such as the shape a
// session had before a deploy changed it. It returns an error for a codec
// this package did not define, whose configuration it cannot copy.
func As[V, T any](c Codec[T]) (Codec[V], error) {
	switch c := any(c).(type) {
	case Map[T]:
		return Map[V](c), nil
	case JSON[T]:
		return JSON[V](c), nil
	case Msgpack[T]:
		return Msgpack[V](c), nil
	case *Compressor[T]:
		inner, err := binaryAs[V](c.inner)
		if err != nil {
			return nil, err
		}
		opts := c.opts
		return Compressed[V](inner, func(o *CompressOptions) { *o = opts }), nil
	case *Sealer[T]:
		inner, err := binaryAs[V](c.inner)
		if err != nil {
			return nil, err
		}
		return Sealed[V](inner, c.keys), nil
	}
	return nil, fmt.Errorf("codec: As: %T is not a codec of this package", c)
}

func binaryAs[V, T any](c Binary[T]) (Binary[V], error) {
	v, err := As[V](Codec[T](c))
	if err != nil {
		return nil, err
	}
	b, ok := v.(Binary[V])
	if !ok {
		return nil, fmt.Errorf("codec: As: %T is not a binary codec", v)
	}
	return b, nil
}
